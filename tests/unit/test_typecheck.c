/* Unit tests for the PFA reader and type checker (compiler/pfa/read_pfa.c,
 * compiler/pfa/typecheck.c) and the type relations in compiler/ir/ir.c.
 *
 * Why: the type checker decides what nerva accepts -- the spec's compile
 * errors must be rejected, everything else must get the types the reference
 * engine gives it (a wrong result type silently changes the generated C).
 * Each rejection is checked for the JSON path it reports, since that path is
 * all a user of a generated PFA file has to find the problem. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_pfa.h"
#include "typecheck.h"

static Arena arena;
static Diags diags;

static void setup(void)
{
    arena_init(&arena);
    diags_init(&diags);
    diags.quiet = 1;
}

static void teardown(void) { arena_free(&arena); }

static PfaProgram *check(const char *json)
{
    diags_init(&diags);
    diags.quiet = 1;
    PfaDoc *doc = read_pfa(&arena, &diags, "t.pfa", json, strlen(json), NULL);
    if (!doc)
        return NULL;
    return typecheck_pfa(&arena, &diags, doc);
}

/* the document is rejected and the first message contains `where` and `what` */
static void rejects(const char *json, const char *where, const char *what)
{
    PfaProgram *p = check(json);
    ck_assert_msg(p == NULL, "accepted: %s", json);
    ck_assert_msg(strstr(diags.first, where) != NULL, "'%s' not in '%s'", where, diags.first);
    ck_assert_msg(strstr(diags.first, what) != NULL, "'%s' not in '%s'", what, diags.first);
}

/* the type of the action's last expression */
static const char *action_type(const char *json)
{
    PfaProgram *p = check(json);
    ck_assert_msg(p != NULL, "rejected: %s (%s)", json, diags.last);
    PfaBlock *b = &p->doc->action;
    return pfa_type_text(&arena, b->e[b->n - 1]->type);
}

START_TEST(test_promotion_and_generic_signatures)
{
    ck_assert_str_eq(action_type("{\"input\": \"int\", \"output\": \"double\", \"action\": {\"+\": [\"input\", 2.5]}}"),
                     "double");
    ck_assert_str_eq(action_type("{\"input\": \"int\", \"output\": \"long\", \"action\": {\"+\": [\"input\", 2]}}"),
                     "int");
    ck_assert_str_eq(action_type("{\"input\": {\"type\": \"array\", \"items\": \"int\"}, \"output\": \"int\","
                                 " \"action\": {\"a.sum\": \"input\"}}"),
                     "int");
    /* a.map: the result's label comes from the function argument */
    ck_assert_str_eq(action_type("{\"input\": {\"type\": \"array\", \"items\": \"int\"},"
                                 " \"output\": {\"type\": \"array\", \"items\": \"string\"},"
                                 " \"action\": {\"a.map\": [\"input\", {\"params\": [{\"x\": \"int\"}],"
                                 " \"ret\": \"string\", \"do\": {\"s.int\": \"x\"}}]}}"),
                     "array of string");
    /* impute.defaultOnNull takes the null branch away */
    ck_assert_str_eq(action_type("{\"input\": [\"null\", \"double\"], \"output\": \"double\","
                                 " \"action\": {\"impute.defaultOnNull\": [\"input\", 0.0]}}"),
                     "double");
}
END_TEST

START_TEST(test_narrowest_supertype)
{
    ck_assert_str_eq(action_type("{\"input\": \"boolean\", \"output\": [\"int\", \"string\"],"
                                 " \"action\": {\"if\": \"input\", \"then\": 1, \"else\": {\"string\": \"x\"}}}"),
                     "union of {int, string}");
    ck_assert_str_eq(action_type("{\"input\": \"boolean\", \"output\": \"double\","
                                 " \"action\": {\"if\": \"input\", \"then\": 1, \"else\": 2.5}}"),
                     "double");
    /* an error branch does not widen the type */
    ck_assert_str_eq(action_type("{\"input\": \"boolean\", \"output\": \"int\","
                                 " \"action\": {\"if\": \"input\", \"then\": 1, \"else\": {\"error\": \"no\"}}}"),
                     "int");
    ck_assert_str_eq(action_type("{\"input\": \"int\", \"output\": [\"null\", \"int\"],"
                                 " \"action\": {\"try\": {\"//\": [1, \"input\"]}}}"),
                     "union of {null, int}");
}
END_TEST

START_TEST(test_scope_rules)
{
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": [\"x\", {\"let\": {\"x\": 1}}]}",
            "/action/0", "unknown symbol 'x'");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": {\"+\": [{\"let\": {\"x\": 5}}, 2]}}",
            "/action/+/0", "cannot be declared here");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": [{\"let\": {\"x\": 5}},"
            " {\"+\": [{\"do\": [{\"set\": {\"x\": 10}}, \"x\"]}, 2]}]}",
            "/action/1/+/0/do/0/set/x", "cannot be changed here");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": [{\"set\": {\"input\": 1}}, 1]}",
            "/action/0/set/input", "cannot be changed");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": [{\"let\": {\"x\": [\"a\"]}},"
            " {\"set\": {\"x\": 12}}, 1]}",
            "/action/1/set/x", "it cannot hold int");
    /* user functions see only their parameters */
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": {\"u.f\": []},"
            " \"fcns\": {\"f\": {\"params\": [], \"ret\": \"int\", \"do\": \"input\"}}}",
            "/fcns/f/do", "unknown symbol 'input'");
}
END_TEST

START_TEST(test_paths_and_state)
{
    const char *rec = "{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\":"
                      " {\"type\": \"array\", \"items\": {\"type\": \"map\", \"values\": \"int\"}}}]}";
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"input\": %s, \"output\": \"int\", \"action\": {\"attr\": \"input\","
                              " \"path\": [[\"a\"], 0, [\"k\"]]}}", rec);
    ck_assert_str_eq(action_type(buf), "int");
    snprintf(buf, sizeof buf, "{\"input\": %s, \"output\": \"int\", \"action\": {\"attr\": \"input\","
                              " \"path\": [[\"a\"], [\"zero\"], [\"k\"]]}}", rec);
    rejects(buf, "/action/path/1", "an array index must be an int");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": {\"cell\": \"nope\"}}", "/action",
            "unknown cell 'nope'");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"cells\": {\"c\": {\"type\": \"int\", \"init\": \"x\"}},"
            " \"action\": 1}",
            "/cells/c/init", "does not match its type");
}
END_TEST

START_TEST(test_named_and_recursive_types)
{
    /* a record defined under "output" and used by name in "input"; a recursive tree */
    const char *doc =
        "{\"input\": \"Tree\", \"output\": {\"type\": \"record\", \"name\": \"Tree\", \"fields\":"
        " [{\"name\": \"kids\", \"type\": {\"type\": \"array\", \"items\": \"Tree\"}},"
        "  {\"name\": \"label\", \"type\": [\"null\", \"string\"]}]},"
        " \"action\": {\"attr\": \"input\", \"path\": [[\"kids\"], 0]}}";
    ck_assert_str_eq(action_type(doc), "record Tree");
    rejects("{\"input\": {\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"a\"]},"
            " \"output\": {\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"b\"]}, \"action\": \"input\"}",
            "/output", "defined twice");
    rejects("{\"input\": \"int\", \"output\": \"Nope\", \"action\": \"input\"}", "/output", "unknown type 'Nope'");
}
END_TEST

START_TEST(test_signatures_and_updators)
{
    rejects("{\"input\": \"string\", \"output\": \"string\", \"action\": {\"+\": [\"input\", \"input\"]}}",
            "/action", "no signature of + accepts (string, string)");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": {\"no.such\": [1]}}", "/action",
            "unknown function 'no.such'");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"cells\": {\"c\": {\"type\": \"int\", \"init\": 0}},"
            " \"fcns\": {\"f\": {\"params\": [{\"x\": \"int\"}], \"ret\": \"int\","
            " \"do\": [{\"cell\": \"c\", \"to\": 1}, \"x\"]}},"
            " \"action\": {\"cell\": \"c\", \"to\": {\"fcn\": \"u.f\"}}}",
            "/action/to", "may not change cells or pools");
    rejects("{\"input\": [\"int\", \"string\"], \"output\": \"int\", \"action\": {\"cast\": \"input\","
            " \"cases\": [{\"as\": \"int\", \"named\": \"x\", \"do\": \"x\"}]}}",
            "/action", "do not cover string");
}
END_TEST

START_TEST(test_reader_syntax)
{
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": [\"input\",]}", "t.pfa:1:", "not valid JSON");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": 1, \"bogus\": 1}", "/bogus",
            "unexpected member 'bogus'");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": {\"int\": 3000000000}}", "/action/int",
            "does not fit in an int");
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": \"bad name\"}", "/action",
            "not a valid symbol name");
    /* a JSON path escapes '/' and '~' in member names */
    rejects("{\"input\": \"int\", \"output\": \"int\", \"action\": {\"let\": {\"a/b~\": 1}}}", "/action/let/a~1b~0",
            "not a valid symbol name");
    /* locator marks are ignored everywhere */
    ck_assert_str_eq(action_type("{\"@\": \"x\", \"input\": {\"@\": \"y\", \"type\": \"int\"}, \"output\": \"int\","
                                 " \"action\": {\"@\": \"z\", \"+\": [\"input\", 1]}}"),
                     "int");
}
END_TEST

START_TEST(test_type_relations)
{
    IrType *d = ir_type(T_DOUBLE), *i = ir_type(T_INT), *s = ir_type(T_STRING);
    IrType ai = {.kind = T_ARRAY, .items = i}, ad = {.kind = T_ARRAY, .items = d};
    IrType *br[2] = {ir_type(T_NULL), d};
    IrType u = {.kind = T_UNION, .branches = br, .nbranches = 2};
    ck_assert(ir_accepts(d, i));
    ck_assert(!ir_accepts(i, d));
    ck_assert(ir_accepts(&ad, &ai));   /* arrays are covariant */
    ck_assert(!ir_accepts(&ai, &ad));
    ck_assert(ir_accepts(&u, i));      /* a union accepts what a branch does */
    ck_assert(!ir_accepts(&u, s));
    ck_assert(!ir_accepts(d, &u));
    ck_assert_int_eq(ir_union_branch(&u, i), 1);
    ck_assert_int_eq(ir_union_branch(&u, ir_type(T_NULL)), 0);
}
END_TEST

static Suite *tc_suite(void)
{
    Suite *s = suite_create("typecheck");
    TCase *t = tcase_create("typecheck");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_promotion_and_generic_signatures);
    tcase_add_test(t, test_narrowest_supertype);
    tcase_add_test(t, test_scope_rules);
    tcase_add_test(t, test_paths_and_state);
    tcase_add_test(t, test_named_and_recursive_types);
    tcase_add_test(t, test_signatures_and_updators);
    tcase_add_test(t, test_reader_syntax);
    tcase_add_test(t, test_type_relations);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
