/* The PMML reader is the trust boundary for model files: these tests pin
 * down that good documents come through intact (names, attributes, text,
 * lines) and that hostile or broken ones fail cleanly with file:line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlerror.h>

#include "read_pmml.h"

static Arena arena;
static Diags diags;

static void setup(void)
{
    arena_init(&arena);
    diags_init(&diags);
    diags.quiet = 1;
}

static void teardown(void) { arena_free(&arena); }

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

static XElem *parse_lim(const char *file, const char *text,
                        const PmmlLimits *lim)
{
    return read_pmml(&arena, &diags, file, text, strlen(text), lim);
}

static XElem *parse(const char *file, const char *text)
{
    return parse_lim(file, text, NULL);
}

/* the reader must fail with exactly one error whose text holds `want` */
static void expect_error(XElem *root, const char *want)
{
    ck_assert_ptr_null(root);
    ck_assert_int_eq(diags.errors, 1);
    ck_assert_msg(strstr(diags.last, want) != NULL,
                  "diagnostic '%s' lacks '%s'", diags.last, want);
}

/* ---- good documents ---- */

static const char *prefixed =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<p:PMML xmlns:p=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">\n"
    "  <p:Header copyright=\"a &amp; b &#60;c&#x3E;\"/>\n"
    "  <p:DataDictionary numberOfFields=\"1\">\n"
    "    <p:DataField name=\"x\"\n"
    "        optype=\"continuous\"\n"
    "        dataType=\"double\"/>\n"
    "  </p:DataDictionary>\n"
    "  <p:Array n=\"3\" type=\"int\">1 2 <![CDATA[3<4]]> 5</p:Array>\n"
    "  <!-- a comment --><p:Extension/><p:Extension/>\n"
    "</p:PMML>\n";

static const char *plain =
    "<PMML xmlns=\"http://www.dmg.org/PMML-3_2\" version=\"3.2\">\n"
    "  <Header/>\n"
    "  <DataDictionary numberOfFields=\"1\">\n"
    "    <DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "  </DataDictionary>\n"
    "</PMML>\n";

START_TEST(test_prefixed_namespace)
{
    XElem *root = parse("ok.pmml", prefixed);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(diags.errors, 0);
    ck_assert_str_eq(root->name, "PMML");
    ck_assert_int_eq(root->line, 2);
    ck_assert_ptr_null(root->parent);
    ck_assert_str_eq(xattr(root, "version"), "4.4");
    ck_assert_ptr_null(xattr(root, "xmlns"));   /* declarations are not attrs */
    ck_assert_ptr_null(xattr(root, "p"));
    ck_assert_int_eq(root->nkids, 5);

    XElem *hdr = xchild(root, "Header");
    ck_assert_ptr_nonnull(hdr);
    ck_assert_int_eq(hdr->line, 3);
    ck_assert_str_eq(xattr(hdr, "copyright"), "a & b <c>");
    ck_assert_str_eq(hdr->text, "");
    ck_assert_ptr_eq(hdr->parent, root);

    XElem *dd = xchild(root, "DataDictionary");
    ck_assert_ptr_nonnull(dd);
    ck_assert_int_eq(dd->nkids, 1);
    XElem *df = dd->kids[0];
    ck_assert_str_eq(df->name, "DataField");
    ck_assert_int_eq(df->line, 5);        /* where the tag starts */
    ck_assert_int_eq(df->nattrs, 3);
    ck_assert_str_eq(df->attrs[0].name, "name");
    ck_assert_str_eq(df->attrs[2].value, "double");
    ck_assert_str_eq(xattr(df, "optype"), "continuous");
    ck_assert_ptr_null(xattr(df, "missing"));

    XElem *arr = xchild(root, "Array");
    ck_assert_ptr_nonnull(arr);
    ck_assert_str_eq(arr->text, "1 2 3<4 5");   /* CDATA kept, not trimmed */
    ck_assert_int_eq(arr->line, 9);

    ck_assert_int_eq(xcount(root, "Extension"), 2);
    ck_assert_int_eq(xcount(root, "Nope"), 0);
    ck_assert_ptr_null(xchild(root, "Nope"));

    Loc l = xloc("ok.pmml", df);
    ck_assert_str_eq(l.file, "ok.pmml");
    ck_assert_int_eq(l.line, 5);
}
END_TEST

START_TEST(test_default_namespace)
{
    XElem *root = parse("ok.pmml", plain);
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(root->name, "PMML");
    ck_assert_int_eq(root->line, 1);
    ck_assert_str_eq(xattr(root, "version"), "3.2");
    ck_assert_int_eq(root->nkids, 2);
    XElem *df = xchild(xchild(root, "DataDictionary"), "DataField");
    ck_assert_ptr_nonnull(df);
    ck_assert_int_eq(df->line, 4);
    ck_assert_str_eq(xattr(df, "name"), "x");
}
END_TEST

START_TEST(test_no_namespace_and_undeclared_prefix)
{
    XElem *root = parse("ok.pmml",
        "<PMML version=\"4.1\"><Header/></PMML>");
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(xchild(root, "Header")->name, "Header");

    /* an undeclared prefix is a namespace nit, not a reason to refuse */
    root = parse("ok.pmml",
        "<x:PMML version=\"4.4\"><x:Header x:copyright=\"c\"/></x:PMML>");
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(diags.errors, 0);
    ck_assert_str_eq(root->name, "PMML");
    XElem *hdr = xchild(root, "Header");
    ck_assert_ptr_nonnull(hdr);
    ck_assert_str_eq(xattr(hdr, "copyright"), "c");
}
END_TEST

START_TEST(test_bare_doctype_and_zero_limits)
{
    /* a DOCTYPE without declarations is harmless; zero limits = defaults */
    PmmlLimits lim = {0, 0, 0, 0};
    XElem *root = parse_lim("ok.pmml",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE PMML>\n<PMML><Header/></PMML>",
        &lim);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(root->line, 3);
    ck_assert_int_eq(root->nkids, 1);
}
END_TEST

START_TEST(test_mixed_text)
{
    XElem *root = parse("ok.pmml",
        "<PMML><Array>  a <Extension/>b&amp;c <!-- x --> d  </Array></PMML>");
    ck_assert_ptr_nonnull(root);
    XElem *arr = xchild(root, "Array");
    ck_assert_str_eq(arr->text, "  a b&c  d  ");
    ck_assert_int_eq(arr->nkids, 1);
}
END_TEST

START_TEST(test_big_line_numbers)
{
    /* xmlNode's own line field stops at 65535; real models go far beyond */
    size_t n = 70000;
    char *doc = xmalloc(n + 64);
    strcpy(doc, "<PMML>");
    memset(doc + 6, '\n', n);
    strcpy(doc + 6 + n, "<Header/>\n<Extension/></PMML>");
    XElem *root = parse("big.pmml", doc);
    free(doc);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(xchild(root, "Header")->line, 70001);
    ck_assert_int_eq(xchild(root, "Extension")->line, 70002);
}
END_TEST

START_TEST(test_handlers_restored_and_silent)
{
    xmlStructuredErrorFunc before = xmlStructuredError;
    /* libxml2 must not print anything itself */
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    dup2(fileno(tmp), 2);
    XElem *root = parse("bad.pmml", "<PMML>\n<a>\n</b>\n<!ENTITY x \"y\">");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_ptr_null(root);
    fseek(tmp, 0, SEEK_END);
    ck_assert_int_eq(ftell(tmp), 0);
    fclose(tmp);
    ck_assert(xmlStructuredError == before);
}
END_TEST

START_TEST(test_whitespace_like_libxml2)
{
    /* XML_PARSE_NOBLANKS's heuristic (libxml2 decides, seeing the reader's
       stand-in nodes): whitespace between elements goes, whitespace alone
       in an element stays, and so does what follows text, or what
       xml:space="preserve" keeps; an empty CDATA section is a child too */
    XElem *root = parse("ws.pmml",
        "<PMML><a><![CDATA[]]>\n  </a><b>  </b><c>\n  <x/>\n  </c><d>t<x/>\n </d>"
        "<e xml:space=\"preserve\">\n  <x/>\n</e><f> <!--c--> </f></PMML>");
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(xchild(root, "a")->text, "");
    ck_assert_str_eq(xchild(root, "b")->text, "  ");
    ck_assert_str_eq(xchild(root, "c")->text, "");
    ck_assert_str_eq(xchild(root, "d")->text, "t\n ");
    ck_assert_str_eq(xchild(root, "e")->text, "\n  \n");
    ck_assert_str_eq(xchild(root, "f")->text, "");
    ck_assert_int_eq(xchild(root, "e")->nkids, 1);
}
END_TEST

START_TEST(test_attribute_positions)
{
    XElem *root = parse("pos.pmml",
        "<PMML>\n<DataField name=\"x\"\n   optype=\"continuous\" dataType=\"a\tb\" a=\"&amp;\"/></PMML>");
    ck_assert_ptr_nonnull(root);
    XElem *df = xchild(root, "DataField");
    Loc l = xattr_loc("pos.pmml", df, "name");
    ck_assert_int_eq(l.line, 2);
    ck_assert_int_eq(l.col, 18);
    l = xattr_loc("pos.pmml", df, "optype");
    ck_assert_int_eq(l.line, 3);
    ck_assert_int_eq(l.col, 12);
    /* values libxml2 rewrote (a tab normalised, a reference) are placed at
       their tag */
    ck_assert_str_eq(xattr(df, "dataType"), "a b");
    ck_assert_str_eq(xattr(df, "a"), "&");
    l = xattr_loc("pos.pmml", df, "a");
    ck_assert_int_eq(l.line, 2);
    ck_assert_int_eq(l.col, 1);
}
END_TEST

START_TEST(test_split_strings_outlive_tree)
{
    /* read_pmml_split: the nodes in their own arena, the strings in the
       compilation's, the bytes freed by the call (ASan checks both) */
    const char *text = "<PMML version=\"4.4\"><Header copyright=\"c &amp; d\">hi</Header></PMML>";
    char *data = xmalloc(strlen(text) + 1);
    strcpy(data, text);
    Arena tree;
    arena_init(&tree);
    XElem *root = read_pmml_split(&arena, &tree, &diags, "s.pmml", data, strlen(text), NULL);
    ck_assert_ptr_nonnull(root);
    XElem *hdr = xchild(root, "Header");
    const char *name = hdr->name, *copyright = xattr(hdr, "copyright"), *hi = hdr->text;
    size_t tree_bytes = tree.used_total;
    arena_free(&tree);
    ck_assert_msg(tree_bytes > 0, "the tree arena holds the nodes");
    ck_assert_str_eq(name, "Header");
    ck_assert_str_eq(copyright, "c & d");
    ck_assert_str_eq(hi, "hi");
}
END_TEST

START_TEST(test_huge_text_node)
{
    /* libxml2's limit on one text node (10,000,000 bytes without HUGE),
       which its DOM builder applied when it joined pieces of text */
    size_t half = 6000000;
    char *doc = xmalloc(2 * half + 64);
    char *p = doc;
    p += sprintf(p, "<PMML><Array>");
    memset(p, 'a', half);
    p += half;
    p += sprintf(p, "&amp;");
    memset(p, 'a', half);
    p += half;
    sprintf(p, "</Array></PMML>");
    XElem *root = parse("huge.pmml", doc);
    free(doc);
    expect_error(root, "a text node longer than 10000000 bytes");
}
END_TEST

START_TEST(test_xml_id_checked)
{
    /* xml:id is read as "id", and must be a name, as libxml2's DOM builder
       required */
    XElem *root = parse("id.pmml", "<PMML><Node xml:id=\"n1\"/></PMML>");
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(xattr(xchild(root, "Node"), "id"), "n1");
    expect_error(parse("id.pmml", "<PMML><Node xml:id=\"1 x\"/></PMML>"),
                 "id.pmml:1:21: error: malformed XML: xml:id : attribute value 1 x is not an NCName");
    /* no two IDs alike: xml:id, or what a DOCTYPE declares ID */
    diags_init(&diags);
    diags.quiet = 1;
    expect_error(parse("id.pmml", "<PMML><a xml:id=\"n\"/>\n<b xml:id=\"n\"/></PMML>"),
                 "id.pmml:2:12: error: malformed XML: ID n already defined");
    diags_init(&diags);
    diags.quiet = 1;
    expect_error(parse("id.pmml", "<!DOCTYPE PMML [<!ATTLIST Node id ID #IMPLIED>]>\n"
                                  "<PMML><Node id=\"a\"/><Node id=\"b\"/><Node id=\"a\"/></PMML>"),
                 "ID a already defined");
    diags_init(&diags);
    diags.quiet = 1;
    root = parse("id.pmml", "<PMML><Node id=\"a\"/><Node id=\"a\"/></PMML>");
    ck_assert_ptr_nonnull(root);   /* undeclared, id is any attribute */
}
END_TEST

/* ---- bad documents ---- */

START_TEST(test_malformed_reports_line)
{
    XElem *root = parse("bad.pmml",
        "<PMML version=\"4.4\">\n"
        "  <Header/>\n"
        "  <DataDictionary></DataDictonary>\n"
        "</PMML>\n");
    expect_error(root, "bad.pmml:3:");
    ck_assert_ptr_nonnull(strstr(diags.last, "malformed XML: "));
    ck_assert_ptr_nonnull(strstr(diags.last, "DataDictonary"));
    ck_assert_int_eq(diags.last[strlen(diags.last) - 1] != '\n', 1);
}
END_TEST

START_TEST(test_truncated_and_empty)
{
    expect_error(parse("t.pmml", "<PMML>\n<Header>\n"), "t.pmml:");
    ck_assert_ptr_nonnull(strstr(diags.last, "malformed XML"));
    diags_init(&diags);
    diags.quiet = 1;
    expect_error(parse("e.pmml", ""), "e.pmml: error: empty file");
    diags_init(&diags);
    diags.quiet = 1;
    expect_error(parse("g.pmml", "\x01garbage"), "malformed XML");
}
END_TEST

START_TEST(test_external_entity_rejected)
{
    XElem *root = parse("xxe.pmml",
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE PMML [\n"
        "  <!ENTITY x SYSTEM \"file:///etc/passwd\">\n"
        "]>\n"
        "<PMML version=\"4.4\">\n"
        "  <Header copyright=\"&x;\">&x;</Header>\n"
        "</PMML>\n");
    expect_error(root, "external entity 'x' is not allowed");
    ck_assert_ptr_nonnull(strstr(diags.last, "xxe.pmml:3:"));
    ck_assert_ptr_null(strstr(diags.last, "root:"));
}
END_TEST

START_TEST(test_external_parameter_entity_rejected)
{
    XElem *root = parse("xxe.pmml",
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE PMML [\n"
        "  <!ENTITY % p SYSTEM \"file:///etc/passwd\">\n"
        "  %p;\n"
        "]>\n"
        "<PMML/>\n");
    expect_error(root, "external entity 'p' is not allowed");
    ck_assert_ptr_null(strstr(diags.last, "root:"));
}
END_TEST

START_TEST(test_internal_entity_rejected)
{
    XElem *root = parse("ent.pmml",
        "<!DOCTYPE PMML [<!ENTITY v \"4.4\">]>\n"
        "<PMML version=\"&v;\"/>\n");
    expect_error(root, "entity declarations are not allowed in PMML");
}
END_TEST

START_TEST(test_undeclared_entity_rejected)
{
    /* with an (unloaded) external subset libxml2 only warns; we refuse */
    XElem *root = parse("u.pmml",
        "<!DOCTYPE PMML SYSTEM \"file:///etc/passwd\">\n"
        "<PMML><Header>&foo;</Header></PMML>\n");
    ck_assert_ptr_null(root);
    ck_assert_int_eq(diags.errors, 1);
    ck_assert_ptr_nonnull(strstr(diags.last, "foo"));
    ck_assert_ptr_null(strstr(diags.last, "root:"));
}
END_TEST

START_TEST(test_billion_laughs_rejected_quickly)
{
    /* lol9 would expand to 3 * 10^9 bytes */
    char doc[2048];
    char *p = doc;
    p += sprintf(p, "<?xml version=\"1.0\"?>\n<!DOCTYPE PMML [\n"
                    " <!ENTITY lol0 \"lol\">\n");
    for (int i = 1; i <= 9; i++) {
        p += sprintf(p, " <!ENTITY lol%d \"", i);
        for (int k = 0; k < 10; k++)
            p += sprintf(p, "&lol%d;", i - 1);
        p += sprintf(p, "\">\n");
    }
    sprintf(p, "]>\n<PMML version=\"&lol9;\">&lol9;</PMML>\n");
    clock_t t0 = clock();
    XElem *root = parse("lol.pmml", doc);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    expect_error(root, "lol.pmml:3:");
    ck_assert_ptr_nonnull(strstr(diags.last, "not allowed"));
    ck_assert_msg(secs < 0.5, "took %.3f s", secs);
    ck_assert_msg(arena.used_total < 4096, "arena grew to %zu",
                  arena.used_total);
}
END_TEST

static char *nested(int depth)
{
    char *doc = xmalloc((size_t)depth * 7 + 32);
    char *p = doc;
    p += sprintf(p, "<PMML>\n");
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "<a>");
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "</a>");
    sprintf(p, "</PMML>");
    return doc;
}

START_TEST(test_deep_nesting_rejected)
{
    char *doc = nested(10000);
    XElem *root = parse("deep.pmml", doc);
    free(doc);
    expect_error(root, "deep.pmml:2:");
    ck_assert_ptr_nonnull(strstr(diags.last, "nesting deeper than 256"));
}
END_TEST

START_TEST(test_depth_limit)
{
    PmmlLimits lim = {1 << 20, 5, 1000, 0};
    char *ok = nested(4), *bad = nested(5);   /* PMML + n levels */
    ck_assert_ptr_nonnull(parse_lim("d.pmml", ok, &lim));
    expect_error(parse_lim("d.pmml", bad, &lim), "nesting deeper than 5");
    free(ok);
    free(bad);
}
END_TEST

START_TEST(test_element_limit)
{
    PmmlLimits lim = {1 << 20, 256, 3, 0};
    ck_assert_ptr_nonnull(parse_lim("n.pmml", "<PMML><a/><b/></PMML>", &lim));
    expect_error(parse_lim("n.pmml", "<PMML><a/><b/>\n<c/></PMML>", &lim),
                 "n.pmml:2:1: error: more than 3 elements");
}
END_TEST

START_TEST(test_wrong_root)
{
    XElem *root = parse("r.pmml",
                        "<?xml version=\"1.0\"?>\n<html><PMML/></html>");
    expect_error(root,
                 "r.pmml:2:1: error: root element is <html>, expected <PMML>");
}
END_TEST

START_TEST(test_oversize_input)
{
    PmmlLimits lim = {16, 256, 1000, 0};
    expect_error(parse_lim("big.pmml", "<PMML version=\"4.4\"/>", &lim),
                 "more than the limit of 16");
    ck_assert_ptr_nonnull(strstr(diags.last, "big.pmml"));
}
END_TEST

static Suite *read_pmml_suite(void)
{
    Suite *s = suite_create("read_pmml");
    TCase *good = tcase_create("good");
    tcase_add_checked_fixture(good, setup, teardown);
    tcase_add_test(good, test_prefixed_namespace);
    tcase_add_test(good, test_default_namespace);
    tcase_add_test(good, test_no_namespace_and_undeclared_prefix);
    tcase_add_test(good, test_bare_doctype_and_zero_limits);
    tcase_add_test(good, test_mixed_text);
    tcase_add_test(good, test_big_line_numbers);
    tcase_add_test(good, test_handlers_restored_and_silent);
    tcase_add_test(good, test_whitespace_like_libxml2);
    tcase_add_test(good, test_attribute_positions);
    tcase_add_test(good, test_split_strings_outlive_tree);
    suite_add_tcase(s, good);

    TCase *bad = tcase_create("bad");
    tcase_add_checked_fixture(bad, setup, teardown);
    tcase_add_test(bad, test_malformed_reports_line);
    tcase_add_test(bad, test_truncated_and_empty);
    tcase_add_test(bad, test_external_entity_rejected);
    tcase_add_test(bad, test_external_parameter_entity_rejected);
    tcase_add_test(bad, test_internal_entity_rejected);
    tcase_add_test(bad, test_undeclared_entity_rejected);
    tcase_add_test(bad, test_billion_laughs_rejected_quickly);
    tcase_add_test(bad, test_deep_nesting_rejected);
    tcase_add_test(bad, test_depth_limit);
    tcase_add_test(bad, test_element_limit);
    tcase_add_test(bad, test_wrong_root);
    tcase_add_test(bad, test_oversize_input);
    tcase_add_test(bad, test_huge_text_node);
    tcase_add_test(bad, test_xml_id_checked);
    suite_add_tcase(s, bad);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(read_pmml_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
