/* The bounds on what a model may cost nerva, in one table: their names for
 * --limit NAME=N, their defaults, and what they bound.  The defaults let
 * every model of the corpora and of real exporters through with room to
 * spare, and stop hostile ones in seconds (docs/cli.md lists them). */
#include "bounds.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Limits nv_limits = {
    .file_bytes = 256LL << 20,
    .depth = 256,
    .xml_elements = 20000000,
    .xml_attributes = 1000,
    .inline_size = 250000,
    .map_rows = 10000,
    .enum_symbols = 100000,
    .table_cells = 4000000,
    .stack_values = 65536,
    .svm_numbers = 16 << 20,
    .regex_bytes = 4096,
    .regex_repeat = 1000,
    .regex_program = 1000,
    .lag_depth = 1000,
};

static const struct {
    const char *name;
    size_t offset;
    int is_ll;
    const char *what;
} table[] = {
    {"file-bytes", offsetof(Limits, file_bytes), 1, "bytes of a model file"},
    {"depth", offsetof(Limits, depth), 0, "nesting of XML elements (of JSON values: twice this)"},
    {"xml-elements", offsetof(Limits, xml_elements), 0, "elements of a PMML document"},
    {"xml-attributes", offsetof(Limits, xml_attributes), 0, "attributes of one PMML element"},
    {"inline-size", offsetof(Limits, inline_size), 0,
     "elements that DefineFunction calls expand to, in all"},
    {"map-rows", offsetof(Limits, map_rows), 0, "rows of a MapValues table with several key columns"},
    {"enum-symbols", offsetof(Limits, enum_symbols), 0, "symbols of one PFA enum"},
    {"table-cells", offsetof(Limits, table_cells), 0,
     "numbers of a model's table of rows (k-NN training instances, cluster centers)"},
    {"stack-values", offsetof(Limits, stack_values), 0,
     "doubles a neural network or vector machine keeps on the scoring function's stack (its values)"},
    {"svm-numbers", offsetof(Limits, svm_numbers), 0, "numbers of a vector machine's support vectors"},
    {"regex-bytes", offsetof(Limits, regex_bytes), 0, "bytes of one regular expression of a PMML model"},
    {"regex-repeat", offsetof(Limits, regex_repeat), 0, "n and m of a repetition {n,m} in a regular expression"},
    {"regex-program", offsetof(Limits, regex_program), 0,
     "instructions a regular expression compiles to (its work space is part of every record's output)"},
    {"lag-depth", offsetof(Limits, lag_depth), 0, "n of a PMML Lag: values kept per entity and field"},
};
#define NLIMITS (sizeof table / sizeof table[0])

int limits_set(const char *spec, char *err, int errlen)
{
    const char *eq = strchr(spec, '=');
    size_t n = eq ? (size_t)(eq - spec) : strlen(spec);
    for (size_t i = 0; i < NLIMITS; i++) {
        if (strlen(table[i].name) != n || strncmp(table[i].name, spec, n) != 0)
            continue;
        if (!eq || !eq[1]) {
            snprintf(err, (size_t)errlen, "--limit %s needs a value: --limit %s=N", table[i].name, table[i].name);
            return -1;
        }
        char *end;
        errno = 0;
        long long v = strtoll(eq + 1, &end, 10);
        if (*end || errno || v < 1 || (!table[i].is_ll && v > 2000000000LL)) {
            snprintf(err, (size_t)errlen, "--limit %s: '%s' is not a count from 1 to %s", table[i].name, eq + 1,
                     table[i].is_ll ? "2^63-1" : "2000000000");
            return -1;
        }
        char *base = (char *)&nv_limits + table[i].offset;
        if (table[i].is_ll)
            *(long long *)(void *)base = v;
        else
            *(long *)(void *)base = (long)v;
        return 0;
    }
    snprintf(err, (size_t)errlen, "--limit: no limit is named '%.*s' (nerva compile --help lists them)", (int)n,
             spec);
    return -1;
}

void limits_print(void)
{
    printf("\nlimits (--limit NAME=N):\n");
    for (size_t i = 0; i < NLIMITS; i++) {
        const char *base = (const char *)&nv_limits + table[i].offset;
        long long v = table[i].is_ll ? *(const long long *)(const void *)base : *(const long *)(const void *)base;
        char left[48];
        snprintf(left, sizeof left, "%s=%lld", table[i].name, v);
        printf("  %-34s %s\n", left, table[i].what);
    }
}

const char *limits_hint(const char *name)
{
    static char buf[96];
    snprintf(buf, sizeof buf, " (--limit %s=N raises it)", name);
    return buf;
}
