/* The bounds nerva keeps on what a model may cost it (bounds.c): every
 * reader and lowering that could be made to take time or memory out of
 * proportion to a file's size stops at one of these with an error naming
 * the limit and the option that raises it (--limit NAME=N). */
#ifndef NERVA_BOUNDS_H
#define NERVA_BOUNDS_H

typedef struct Limits {
    long long file_bytes;  /* a model file's size */
    long depth;            /* nesting of XML elements (JSON values: twice this) */
    long xml_elements;     /* elements of a PMML document */
    long xml_attributes;   /* attributes of one PMML element */
    long inline_size;      /* elements DefineFunction calls expand to, in all */
    long map_rows;         /* rows of a MapValues table with several key columns */
    long enum_symbols;     /* symbols of one PFA enum */
    long table_cells;      /* numbers of one table of rows (k-NN training instances, cluster centers) */
    long stack_values;     /* doubles a network or vector machine keeps on the scoring function's stack */
    long svm_numbers;      /* numbers of a vector machine's support vectors */
    long regex_bytes;      /* bytes of one regular expression of a model */
    long regex_repeat;     /* n and m of one {n,m} in a regular expression */
    long regex_program;    /* instructions a regular expression compiles to (its work space is per record) */
    long lag_depth;        /* n of a Lag: values kept per entity and field */
} Limits;

/* the limits in force: the defaults, changed by --limit */
extern Limits nv_limits;

/* Sets one limit from "NAME=N".  Returns 0, or -1 with err filled. */
int limits_set(const char *spec, char *err, int errlen);

/* prints the limits, their defaults and what they bound (for --help) */
void limits_print(void);

/* " (--limit NAME=N raises it)" for a message about limit NAME */
const char *limits_hint(const char *name);

#endif
