/* Unit tests for the IR builders (compiler/ir/ir.c).
 *
 * Why: every frontend builds programs only through the ir_* constructors, and
 * the C backend trusts the types they compute -- above all whether a value
 * may be null, since that decides whether a null flag exists at all in the
 * generated code.  A builder that forgets to make a result nullable silently
 * turns missing inputs into zeros.  The ir_dump text is what the golden tests
 * and `nerva compile --dump-ir` show, so its format is pinned here too. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

static Arena arena;
static Diags diags;
static IrBuilder b;

static void setup(void)
{
    arena_init(&arena);
    diags_init(&diags);
    diags.quiet = 1;
    b.a = &arena;
    b.d = &diags;
    b.p = ir_program_new(&arena);
    b.p->name = "tiny";
    b.p->source = "tiny.pmml";
}

static void teardown(void) { arena_free(&arena); }

static IrType *T(IrTypeKind k) { return ir_type(k); }
static IrType *N(IrTypeKind k) { return ir_nullable(&arena, ir_type(k)); }

/* ---- types ---- */

START_TEST(test_nullable_type_rules)
{
    IrType *d = T(T_DOUBLE);
    ck_assert_ptr_eq(T(T_DOUBLE), d);              /* scalars are singletons */
    ck_assert(!ir_is_nullable(d));
    IrType *nd = ir_nullable(&arena, d);
    ck_assert(ir_is_nullable(nd));
    ck_assert_ptr_eq(ir_nullable(&arena, nd), nd);  /* idempotent */
    ck_assert_ptr_eq(ir_base(nd), d);
    ck_assert_ptr_eq(ir_base(d), d);
    ck_assert(ir_is_nullable(T(T_NULL)));
    ck_assert_str_eq(ir_type_name(d), "double");
    ck_assert_str_eq(ir_type_name(nd), "double?");
    ck_assert_str_eq(ir_type_name(N(T_STRING)), "string?");
    ck_assert_str_eq(ir_type_name(T(T_BOOL)), "boolean");
    ck_assert(ir_is_numeric(nd));
    ck_assert(ir_is_numeric(T(T_INT)) && ir_is_numeric(T(T_LONG)) && ir_is_numeric(T(T_FLOAT)));
    ck_assert(!ir_is_numeric(T(T_STRING)));
    ck_assert(!ir_is_numeric(T(T_BOOL)));
    ck_assert_str_eq(ir_fn_name(FN_ADD), "+");
    ck_assert_str_eq(ir_fn_name(FN_STDNORM_CDF), "stdNormalCDF");
}
END_TEST

START_TEST(test_inputs_are_nullable)
{
    int x = ir_add_input(&b, "x", T(T_DOUBLE), (Loc){.file = "tiny.pmml", .line = 3});
    ck_assert_int_eq(b.p->ninputs, 1);
    ck_assert_int_eq(b.p->inputs[0].var, x);
    ck_assert(ir_is_nullable(b.p->inputs[0].type));
    ck_assert(ir_is_nullable(b.p->vars[x].type));
    ck_assert_int_eq(b.p->vars[x].role, VAR_INPUT);
    ck_assert_int_eq(b.p->vars[x].input, 0);
    ck_assert_int_eq(b.p->inputs[0].loc.line, 3);
    int l = ir_add_var(&b, "local", T(T_DOUBLE));
    ck_assert(!ir_is_nullable(b.p->vars[l].type));
    ck_assert_int_eq(b.p->vars[l].role, VAR_LOCAL);
    ir_add_output(&b, "y", T(T_DOUBLE), l, (Loc){0});
    ck_assert(ir_is_nullable(b.p->outputs[0].type)); /* outputs may always be missing */
}
END_TEST

START_TEST(test_call_nullability)
{
    int x = ir_add_input(&b, "x", T(T_DOUBLE), (Loc){0});
    IrExpr *one = ir_lit_double(&b, 1);
    IrExpr *two = ir_lit_double(&b, 2);
    /* non-null operands: non-null result */
    IrExpr *sum = ir_call2(&b, FN_ADD, T(T_DOUBLE), one, two);
    ck_assert(!ir_is_nullable(sum->type));
    ck_assert_int_eq(sum->kind, E_CALL);
    ck_assert_int_eq(sum->n, 2);
    /* any nullable operand: nullable result of the same base type */
    IrExpr *sx = ir_call2(&b, FN_ADD, T(T_DOUBLE), one, ir_var(&b, x));
    ck_assert(ir_is_nullable(sx->type));
    ck_assert_ptr_eq(ir_base(sx->type), T(T_DOUBLE));
    IrExpr *lx = ir_call1(&b, FN_EXP, T(T_DOUBLE), ir_var(&b, x));
    ck_assert(ir_is_nullable(lx->type));
    /* and/or decide three-valued logic themselves: not auto-nullable */
    IrExpr *cmp = ir_call2(&b, FN_LT, T(T_BOOL), ir_var(&b, x), one);
    ck_assert(ir_is_nullable(cmp->type));
    IrExpr *args[2] = {cmp, ir_lit_bool(&b, 0)};
    IrExpr *conj = ir_call(&b, FN_AND, T(T_BOOL), args, 2);
    ck_assert(!ir_is_nullable(conj->type));
    /* is-null is never null */
    ck_assert(!ir_is_nullable(ir_is_null(&b, ir_var(&b, x))->type));
    ck_assert_ptr_eq(ir_is_null(&b, ir_var(&b, x))->type, T(T_BOOL));
}
END_TEST

START_TEST(test_if_coalesce_cast_rules)
{
    int x = ir_add_input(&b, "x", T(T_DOUBLE), (Loc){0});
    int s = ir_add_input(&b, "s", T(T_STRING), (Loc){0});
    IrExpr *c = ir_lit_bool(&b, 1);
    IrExpr *one = ir_lit_double(&b, 1);
    IrExpr *two = ir_lit_double(&b, 2);
    /* if: nullable when the condition or a branch is */
    ck_assert(!ir_is_nullable(ir_if(&b, c, one, two)->type));
    ck_assert(ir_is_nullable(ir_if(&b, c, one, ir_var(&b, x))->type));
    IrExpr *nc = ir_call2(&b, FN_GT, T(T_BOOL), ir_var(&b, x), one);
    ck_assert(ir_is_nullable(ir_if(&b, nc, one, two)->type));
    /* a null literal branch takes the other branch's type */
    IrExpr *nl = ir_lit_null(&b, T(T_NULL));
    IrExpr *e = ir_if(&b, c, nl, ir_lit_str(&b, "a"));
    ck_assert(ir_is_nullable(e->type));
    ck_assert_ptr_eq(ir_base(e->type), T(T_STRING));
    /* coalesce: non-null when the fallback is non-null */
    IrExpr *co = ir_coalesce(&b, ir_var(&b, x), one);
    ck_assert(!ir_is_nullable(co->type));
    ck_assert_ptr_eq(co->type, T(T_DOUBLE));
    ck_assert(ir_is_nullable(ir_coalesce(&b, ir_var(&b, x), ir_var(&b, x))->type));
    /* cast: string to number may fail, so it is nullable even from non-null */
    IrExpr *sc = ir_cast(&b, T(T_DOUBLE), ir_lit_str(&b, "1.5"));
    ck_assert_int_eq(sc->kind, E_CAST);
    ck_assert(ir_is_nullable(sc->type));
    ck_assert(ir_is_nullable(ir_cast(&b, T(T_DOUBLE), ir_var(&b, s))->type));
    ck_assert(!ir_is_nullable(ir_cast(&b, T(T_LONG), one)->type));
    /* a cast to the same type is no cast */
    ck_assert_ptr_eq(ir_cast(&b, T(T_DOUBLE), one), one);
    IrExpr *vx = ir_var(&b, x);
    ck_assert_ptr_eq(ir_cast(&b, N(T_DOUBLE), vx), vx);
    /* str-in: nullable exactly when its operand is */
    const char *strs[] = {"a", "b"};
    ck_assert(ir_is_nullable(ir_str_in(&b, ir_var(&b, s), strs, 2)->type));
    ck_assert(!ir_is_nullable(ir_str_in(&b, ir_lit_str(&b, "a"), strs, 2)->type));
    /* null-if-nan is always nullable */
    ck_assert(ir_is_nullable(ir_null_if_nan(&b, one)->type));
}
END_TEST

START_TEST(test_set_widens_variable)
{
    int x = ir_add_input(&b, "x", T(T_DOUBLE), (Loc){0});
    int v = ir_add_var(&b, "v", T(T_DOUBLE));
    ir_set(&b, &b.p->body, v, ir_lit_double(&b, 1));
    ck_assert(!ir_is_nullable(b.p->vars[v].type));
    /* assigning something that may be null makes the variable nullable */
    ir_set(&b, &b.p->body, v, ir_var(&b, x));
    ck_assert(ir_is_nullable(b.p->vars[v].type));
    ck_assert_int_eq(b.p->body.n, 2);
    ck_assert_int_eq(b.p->body.s[1]->kind, S_SET);
    ck_assert_int_eq(b.p->body.s[1]->var, v);
}
END_TEST

/* ---- the dump ---- */

static char *dump(void)
{
    StrBuf s;
    sb_init(&s);
    ir_dump(b.p, &s);
    char *r = arena_strdup(&arena, s.data);
    sb_free(&s);
    return r;
}

START_TEST(test_dump_tiny_program)
{
    int x = ir_add_input(&b, "x", T(T_DOUBLE), (Loc){0});
    int s = ir_add_input(&b, "s \"q\"\n", T(T_STRING), (Loc){0});
    int y = ir_add_var(&b, "y", T(T_DOUBLE));
    int ok = ir_add_var(&b, "ok", T(T_BOOL));
    ir_add_output(&b, "out", T(T_DOUBLE), y, (Loc){0});
    const char *strs[] = {"a", "b\\"};
    ir_set(&b, &b.p->body, ok, ir_coalesce(&b, ir_str_in(&b, ir_var(&b, s), strs, 2),
                                            ir_lit_bool(&b, 0)));
    IrStmt *st = ir_if_stmt(&b, &b.p->body, ir_is_null(&b, ir_var(&b, x)));
    ir_return_invalid(&b, &st->then_b, (Loc){0});
    ir_set(&b, &st->else_b, y,
           ir_call2(&b, FN_MUL, T(T_DOUBLE), ir_lit_double(&b, 0.5),
                    ir_call2(&b, FN_ADD, T(T_DOUBLE), ir_var(&b, x), ir_lit_double(&b, -2))));
    ir_set(&b, &b.p->body, y,
           ir_cast(&b, T(T_DOUBLE), ir_lit_long(&b, 7)));
    ck_assert_str_eq(dump(),
        "program \"tiny\"\n"
        "var $0 double? \"x\" input 0\n"
        "var $1 string? \"s \\\"q\\\"\\x0a\" input 1\n"
        "var $2 double? \"y\"\n"
        "var $3 boolean \"ok\"\n"
        "output 0 \"out\" double? $2\n"
        "$3 := (coalesce (str-in $1 \"a\" \"b\\\\\") false)\n"
        "if (is-null $0) {\n"
        "  return-invalid\n"
        "} else {\n"
        "  $2 := (* 0.5 (+ $0 -2))\n"
        "}\n"
        "$2 := (cast double 7)\n");
}
END_TEST

START_TEST(test_dump_tree)
{
    int x = ir_add_input(&b, "x", T(T_DOUBLE), (Loc){0});
    IrTree *t = ARENA_NEW(&arena, IrTree);
    t->name = "t";
    t->nnodes = 3;
    t->nodes = ARENA_ARRAY(&arena, IrTreeNode, 3);
    t->missing = MV_DEFAULT_CHILD;
    t->no_true_child_null = 1;
    IrPred *root = ARENA_NEW(&arena, IrPred);
    root->kind = P_TRUE;
    root->var = -1;
    IrPred *lt = ARENA_NEW(&arena, IrPred);
    lt->kind = P_CMP;
    lt->var = x;
    lt->op = CMP_LT;
    lt->num = 2.5;
    IrPred *miss = ARENA_NEW(&arena, IrPred);
    miss->kind = P_IS_MISSING;
    miss->var = x;
    int *kids = ARENA_ARRAY(&arena, int, 2);
    kids[0] = 1;
    kids[1] = 2;
    t->nodes[0] = (IrTreeNode){.pred = root, .kids = kids, .nkids = 2, .default_child = 2};
    t->nodes[1] = (IrTreeNode){.pred = lt, .default_child = -1};
    t->nodes[2] = (IrTreeNode){.pred = miss, .default_child = -1};
    t->ncols = 1;
    t->cols = ARENA_ARRAY(&arena, IrTreeCol, 1);
    t->cols[0].type = T(T_DOUBLE);
    t->cols[0].num = ARENA_ARRAY(&arena, double, 3);
    t->cols[0].is_null = arena_alloc(&arena, 3);
    int ti = ir_add_tree(&b, t);
    ck_assert_int_eq(ti, 0);
    int node = ir_add_var(&b, "node", N(T_INT));
    ir_set(&b, &b.p->body, node, ir_tree(&b, ti));
    IrExpr *get = ir_tree_get(&b, ti, 0, ir_var(&b, node));
    ck_assert(ir_is_nullable(get->type));       /* no node chosen: null */
    ck_assert(ir_is_nullable(ir_tree(&b, ti)->type));
    int y = ir_add_var(&b, "y", T(T_DOUBLE));
    ir_set(&b, &b.p->body, y, get);
    ck_assert_str_eq(dump(),
        "program \"tiny\"\n"
        "var $0 double? \"x\" input 0\n"
        "var $1 int? \"node\"\n"
        "var $2 double? \"y\"\n"
        "tree #0 nodes=3 missing=3 notrue=null\n"
        "  node 0 (true) -> 1 2 default 2\n"
        "  node 1 (cmp $0 < 2.5) ->\n"
        "  node 2 (isMissing $0) ->\n"
        "$1 := (tree #0)\n"
        "$2 := (tree-get #0 col0 $1)\n");
}
END_TEST

static Suite *ir_suite(void)
{
    Suite *s = suite_create("ir");
    TCase *t = tcase_create("types");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_nullable_type_rules);
    tcase_add_test(t, test_inputs_are_nullable);
    tcase_add_test(t, test_call_nullability);
    tcase_add_test(t, test_if_coalesce_cast_rules);
    tcase_add_test(t, test_set_widens_variable);
    suite_add_tcase(s, t);
    t = tcase_create("dump");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_dump_tiny_program);
    tcase_add_test(t, test_dump_tree);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ir_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
