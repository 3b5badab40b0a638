/* The PrettyPFA grammar (bison).  Titus's titus.prettypfa is the reference:
 * the same sections, expression forms and operator precedence.  Every action
 * is one call to a constructor of compiler/pfa/ppfa.h that records what the
 * text says; the meaning of each form in PFA is given afterwards, by
 * compiler/pfa/ppfa_build.c.
 *
 * The scanner gives each section's heading its own token (fcns:, cells: and
 * pools: have their own content), so that sections need no separators.
 * Conflicts are resolved with precedence, never by %expect:
 *   - forms ending in an expression (if, while, for, foreach, try, ifnotnull,
 *     unpack, fcn, as, assignments, `to`) take the longest expression, as
 *     Titus's parser does (LOWEST, and '=' for the right of assignments);
 *   - `else` belongs to the nearest `if`;
 *   - the left of `to` is the name (or name[...]) right before it (TO binds
 *     tighter than any operator), its right the longest expression;
 *   - `x = 1, y = 2` is one assignment of two names (',' binds).
 * Two additions to Titus's language, so that every PFA document can be
 * written (nerva convert --to ppfa): "name"(args) calls a function whose name
 * is no PrettyPFA name (&&&, the Kleene operators), and pool[k] = v init i
 * gives a pool's new item where a deep path is replaced by a value. */
%define api.pure full
%define api.prefix {ppfa_yy}
%define api.value.type {PNode *}
%define parse.error detailed
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {PpCtx *X}

%code requires {
#include "ppfa.h"
typedef void *yyscan_t;
}

%code {
int ppfa_yylex(PPFA_YYSTYPE *lval, PPFA_YYLTYPE *lloc, yyscan_t scanner);
static void ppfa_yyerror(PPFA_YYLTYPE *l, yyscan_t scanner, PpCtx *X, const char *msg)
{
    (void)scanner;
    diag_error(X->d, pp_loc(X, l->first_line, l->first_column), "%s", msg);
}
#define L(n) pp_loc(X, (n).first_line, (n).first_column)
#define YYMAXDEPTH 20000
}

%token SECTION "section heading" SEC_FCNS "fcns:" SEC_STATE "cells: or pools:"
%token DOTNAME "name" NUMBER "number" STRING "string" RAWSTRING "raw string"
%token RARROW "->"
%token IDIV "idiv" FCN "fcn" IF "if" ELSE "else" WHILE "while" DO "do" UNTIL "until"
%token FOR "for" FOREACH "foreach" CAST "cast" AS "as" IFNOTNULL "ifnotnull"
%token UNPACK "unpack" TRY "try" TRYP "try (" VAR "var" TO "to" INIT "init"
%token PLUS "+" MINUS "-" TIMES "*" FDIV "/" MOD "%" REM "%%" POW "**"
%token EQ "==" NE "!=" LT "<" LE "<=" GT ">" GE ">="
%token AND "&&" OR "||" XOR "^^" NOT "!" BITAND "&" BITOR "|" BITXOR "^" BITNOT "~"

%precedence LOWEST
%precedence ELSE
%precedence ASSIGNS
%precedence ','
%precedence '='
%left OR
%left XOR
%left AND
%precedence NOT
%nonassoc EQ NE LT LE GT GE
%left BITOR
%left BITXOR
%left BITAND
%left PLUS MINUS
%left TIMES FDIV IDIV MOD REM
%precedence UMINUS BITNOT
%left POW
%precedence INIT
%precedence TO '['

%%

document: %empty
        | sections
        ;

sections: section
        | sections section
        ;

section: SECTION                { pp_section(X, $1, NULL); }
       | SECTION exprs          { pp_section(X, $1, $2); }
       | SECTION bracket        { pp_section(X, $1, $2); }
       | SEC_FCNS fcndefs       { pp_section(X, $1, $2); }
       | SEC_STATE cellpools    { pp_section(X, $1, $2); }
       ;

exprs: expr                     { $$ = pp_list(X, $1, L(@1)); }
     | exprs ';' expr           { $$ = pp_push(X, pp_semi($1), $3); }
     | exprs ';'                { $$ = pp_semi($1); }
     ;

/* named functions (and cells, pools) separated by ';', extra ';' allowed */
fcndefs: fcnsemi
       | fcnsemi namedfcn       { $$ = pp_push(X, $1, $2); }
       ;

fcnsemi: %empty                 { $$ = pp_list(X, NULL, L(@$)); }
       | fcndefs ';'            { $$ = $1; }
       ;

namedfcn: DOTNAME '=' fcndef    { $$ = pp_namedfcn(X, $1, $3); }
        ;

cellpools: cellsemi
         | cellsemi cellpool    { $$ = pp_push(X, $1, $2); }
         ;

cellsemi: %empty                { $$ = pp_list(X, NULL, L(@$)); }
        | cellpools ';'         { $$ = $1; }
        ;

cellpool: DOTNAME '(' args ')' '=' initval   { $$ = pp_cellpool(X, $1, $3, $6); }
        ;

initval: block | bracket | NUMBER | STRING | RAWSTRING | DOTNAME ;

block: '{' exprs '}'            { $$ = pp_block(X, $2, L(@1)); }
     | '{' params '}'           { $$ = pp_block(X, $2, L(@1)); }
     ;

bracket: '[' args ']'           { $$ = pp_bracket(X, $2, L(@1)); }
       ;

args: %empty                    { $$ = pp_list(X, NULL, L(@$)); }
    | arglist
    ;

arglist: arg                    { $$ = pp_list(X, $1, L(@1)); }
       | arglist ',' arg        { $$ = pp_push(X, $1, $3); }
       ;

arg: expr | param | bracket | fcndef ;

params: %empty                  { $$ = pp_list(X, NULL, L(@$)); }
      | paramlist
      ;

paramlist: param                { $$ = pp_list(X, $1, L(@1)); }
         | paramlist ',' param  { $$ = pp_push(X, $1, $3); }
         ;

param: DOTNAME ':' arg          { $$ = pp_param(X, $1, $3); }
     | STRING ':' arg           { $$ = pp_param(X, $1, $3); }
     | RAWSTRING ':' arg        { $$ = pp_param(X, $1, $3); }
     ;

fcndef: FCN '(' params RARROW expr ')' expr %prec LOWEST   { $$ = pp_fcndef(X, $3, $5, $7, L(@1)); }
      ;

assigns: assign
       | assigns ',' assign     { $$ = pp_assigns(X, $1, $3); }
       ;

assign: DOTNAME '=' expr        { $$ = pp_assign(X, $1, $3, L(@2)); }
      ;

asblocks: asblock               { $$ = pp_list(X, $1, L(@1)); }
        | asblocks asblock      { $$ = pp_push(X, $1, $2); }
        ;

asblock: AS '(' param ')' expr %prec LOWEST   { $$ = pp_as(X, $3, $5, L(@1)); }
       ;

keyname: DOTNAME | STRING | RAWSTRING ;

expr: DOTNAME                   { $$ = $1; }
    | NUMBER                    { $$ = $1; }
    | STRING                    { $$ = $1; }
    | RAWSTRING                 { $$ = $1; }
    | block                     { $$ = $1; }
    | DOTNAME '(' args ')'      { $$ = pp_call(X, $1, $3); }
    | STRING '(' args ')'       { $$ = pp_call(X, $1, $3); }
    | DOTNAME '@' DOTNAME       { $$ = pp_enumsym(X, $1, $3, L(@2)); }
    | '(' expr ')'              { $$ = pp_paren($2); }
    | MINUS expr %prec UMINUS   { $$ = pp_op1(X, "u-", $2, L(@1)); }
    | BITNOT expr               { $$ = pp_op1(X, "~", $2, L(@1)); }
    | NOT expr                  { $$ = pp_op1(X, "!", $2, L(@1)); }
    | expr OR expr              { $$ = pp_op2(X, "||", $1, $3, L(@2)); }
    | expr XOR expr             { $$ = pp_op2(X, "^^", $1, $3, L(@2)); }
    | expr AND expr             { $$ = pp_op2(X, "&&", $1, $3, L(@2)); }
    | expr EQ expr              { $$ = pp_op2(X, "==", $1, $3, L(@2)); }
    | expr NE expr              { $$ = pp_op2(X, "!=", $1, $3, L(@2)); }
    | expr LT expr              { $$ = pp_op2(X, "<", $1, $3, L(@2)); }
    | expr LE expr              { $$ = pp_op2(X, "<=", $1, $3, L(@2)); }
    | expr GT expr              { $$ = pp_op2(X, ">", $1, $3, L(@2)); }
    | expr GE expr              { $$ = pp_op2(X, ">=", $1, $3, L(@2)); }
    | expr BITOR expr           { $$ = pp_op2(X, "|", $1, $3, L(@2)); }
    | expr BITXOR expr          { $$ = pp_op2(X, "^", $1, $3, L(@2)); }
    | expr BITAND expr          { $$ = pp_op2(X, "&", $1, $3, L(@2)); }
    | expr PLUS expr            { $$ = pp_op2(X, "+", $1, $3, L(@2)); }
    | expr MINUS expr           { $$ = pp_op2(X, "-", $1, $3, L(@2)); }
    | expr TIMES expr           { $$ = pp_op2(X, "*", $1, $3, L(@2)); }
    | expr FDIV expr            { $$ = pp_op2(X, "/", $1, $3, L(@2)); }
    | expr IDIV expr            { $$ = pp_op2(X, "//", $1, $3, L(@2)); }
    | expr MOD expr             { $$ = pp_op2(X, "%", $1, $3, L(@2)); }
    | expr REM expr             { $$ = pp_op2(X, "%%", $1, $3, L(@2)); }
    | expr POW expr             { $$ = pp_op2(X, "**", $1, $3, L(@2)); }
    | IF '(' expr ')' expr %prec LOWEST               { $$ = pp_if(X, $3, $5, NULL, L(@1)); }
    | IF '(' expr ')' expr ELSE expr                  { $$ = pp_if(X, $3, $5, $7, L(@1)); }
    | WHILE '(' expr ')' expr %prec LOWEST            { $$ = pp_while(X, $3, $5, L(@1)); }
    | DO expr UNTIL '(' expr ')'                      { $$ = pp_dountil(X, $2, $5, L(@1)); }
    | FOR '(' assigns ';' expr ';' assigns ')' expr %prec LOWEST { $$ = pp_for(X, $3, $5, $7, $9, L(@1)); }
    | FOREACH '(' param ')' expr %prec LOWEST         { $$ = pp_foreach(X, $3, NULL, $5, L(@1)); }
    | FOREACH '(' param ',' param ')' expr %prec LOWEST  { $$ = pp_foreach(X, $3, $5, $7, L(@1)); }
    | FOREACH '(' keyname ',' param ')' expr %prec LOWEST  { $$ = pp_forkv(X, $3, $5, $7, L(@1)); }
    | CAST '(' expr ')' '{' asblocks '}'              { $$ = pp_cast(X, $3, NULL, $6, L(@1)); }
    | CAST '(' expr ',' param ')' '{' asblocks '}'    { $$ = pp_cast(X, $3, $5, $8, L(@1)); }
    | IFNOTNULL '(' params ')' expr %prec LOWEST      { $$ = pp_ifnotnull(X, $3, $5, NULL, L(@1)); }
    | IFNOTNULL '(' params ')' expr ELSE expr         { $$ = pp_ifnotnull(X, $3, $5, $7, L(@1)); }
    | UNPACK '(' expr ',' params ')' expr %prec LOWEST  { $$ = pp_unpack(X, $3, $5, $7, NULL, L(@1)); }
    | UNPACK '(' expr ',' params ')' expr ELSE expr   { $$ = pp_unpack(X, $3, $5, $7, $9, L(@1)); }
    | TRY expr %prec LOWEST                           { $$ = pp_try(X, NULL, $2, L(@1)); }
    | TRYP '(' args ')' expr %prec LOWEST             { $$ = pp_try(X, $3, $5, L(@1)); }
    | TRYP '(' args ')' %prec LOWEST                  { $$ = pp_try(X, $3, NULL, L(@1)); }
    | expr '[' args ']'                               { $$ = pp_index(X, $1, $3, L(@2)); }
    | expr '[' args ']' '=' expr %prec '='            { $$ = pp_index_set(X, pp_index(X, $1, $3, L(@2)), $6, NULL); }
    | expr '[' args ']' '=' expr INIT expr %prec LOWEST  { $$ = pp_index_set(X, pp_index(X, $1, $3, L(@2)), $6, $8); }
    | assigns %prec ASSIGNS                           { $$ = $1; }
    | VAR assigns %prec ASSIGNS                       { $$ = pp_var($2); }
    | expr TO expr %prec LOWEST                       { $$ = pp_to(X, $1, $3, NULL, L(@2)); }
    | expr TO fcndef %prec LOWEST                     { $$ = pp_to(X, $1, $3, NULL, L(@2)); }
    | expr TO expr INIT expr %prec LOWEST             { $$ = pp_to(X, $1, $3, $5, L(@2)); }
    | expr TO fcndef INIT expr %prec LOWEST           { $$ = pp_to(X, $1, $3, $5, L(@2)); }
    ;

%%
