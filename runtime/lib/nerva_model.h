/* The binary interface of every model nerva generates.  A host binds a
 * compiled model through these descriptors alone: field names, types and
 * offsets into the model's input and output structs, and the entry points.
 * Each generated header carries an identical copy of these blocks (guarded:
 * the sections below, copied by nerva as runtime/lib/ files are), so
 * generated code needs no nerva header or library at run time. */

/*@ section model_abi */
#ifndef NERVA_MODEL_ABI
#define NERVA_MODEL_ABI 3

#include <stddef.h>

/* value types of fields */
enum nerva_type {
    NERVA_DOUBLE = 1, /* double */
    NERVA_FLOAT = 2,  /* float */
    NERVA_LONG = 3,   /* long long */
    NERVA_BOOL = 4,   /* int, 0 or 1 */
    NERVA_STRING = 5, /* const char *, NUL-terminated UTF-8 */
    /* dates and times (ABI 3), read and written as ISO 8601 text by the
       model's read_text and write_text */
    NERVA_DATE = 6,     /* long long: days since 1970-01-01 */
    NERVA_TIME = 7,     /* double: seconds since midnight */
    NERVA_DATETIME = 8, /* double: seconds since 1970-01-01T00:00:00 (no time zone) */
    NERVA_STRINGS = 9   /* const char *const *: a set of items, NUL-terminated UTF-8 strings
                           ending with a NULL pointer (an association model's input) */
};

/* per-field state byte, at state_offset */
enum nerva_state {
    NERVA_PRESENT = 0,
    NERVA_MISSING = 1,
    NERVA_INVALID = 2 /* input only: the host could not parse the text */
};

typedef struct nerva_field {
    const char *name;     /* the model's field name, exactly */
    int type;             /* enum nerva_type */
    size_t offset;        /* of the value within the struct */
    size_t state_offset;  /* of the state byte within the struct */
} nerva_field;

/* return codes of score functions */
enum nerva_status {
    NERVA_OK = 0,
    NERVA_RESULT_INVALID = 1, /* an input was invalid and the model says returnInvalid */
    NERVA_ERROR = 2           /* a runtime error (e.g. string scratch space exhausted) */
};

typedef struct nerva_model {
    const char *name;          /* model name or file name */
    int abi;                   /* NERVA_MODEL_ABI */
    size_t input_size;         /* sizeof the input struct */
    size_t output_size;        /* sizeof the output struct */
    int n_inputs;
    const nerva_field *inputs;
    int n_outputs;
    const nerva_field *outputs;
    /* score one record; output strings stay valid until *out is reused */
    int (*score)(const void *in, void *out);
    /* score n records; status[i] receives each record's status; returns the
       number of records whose status is not NERVA_OK */
    size_t (*score_batch)(const void *in, void *out, int *status, size_t n);
    /* PREFIX_INTERFACE_HASH: the fields' names and types, in order (ABI 2) */
    unsigned long long interface_hash;
    /* ABI 3: dates and times as text.  read_text reads ISO 8601 text
       (YYYY-MM-DD, hh:mm[:ss[.s]], YYYY-MM-DDThh:mm[:ss[.s]]; a timeSeconds
       field [-]h:mm:ss) into input field i, a NERVA_DATE, NERVA_TIME or
       NERVA_DATETIME, and sets its state byte: returns NERVA_PRESENT, or
       NERVA_INVALID when the text is not such a value (-1: not such a
       field).  write_text writes output field i of those types as such text
       into buf (at most size bytes with the NUL); returns its length, or -1.
       NULL when the model has no such field. */
    int (*read_text)(void *in, int field, const char *text);
    int (*write_text)(const void *out, int field, char *buf, size_t size);
    /* ABI 3: per-entity state (PMML's Lag and Aggregate).  A stateful model
       has score and score_batch NULL and these set; a stateless one the
       reverse.  state_new(max_entities) makes an empty state (0: no bound;
       the least recently used entity is forgotten beyond it; NULL when out
       of memory); records of one state are scored in order. */
    void *(*state_new)(size_t max_entities);
    void (*state_reset)(void *state);
    void (*state_free)(void *state);
    int (*score_state)(void *state, const void *in, void *out);
    size_t (*score_batch_state)(void *state, const void *in, void *out, int *status, size_t n);
    /* entities held now, and how many were forgotten to keep the bound */
    void (*state_stats)(const void *state, size_t *entities, unsigned long long *evicted);
} nerva_model;

#endif

/*@ section pfa_abi */
/* PFA engines: JSON text in and out (the Avro JSON encoding), errors as the
 * PFA specification's numeric codes.  See docs/generated-code.md. */
#ifndef NERVA_PFA_ABI
#include <stddef.h>
#define NERVA_PFA_ABI 2
/* the nerva PFA engine interface (identical in every generated header) */
enum nerva_pfa_status { NERVA_PFA_OK = 0, NERVA_PFA_ERROR = 2, NERVA_PFA_BAD_INPUT = 3 };
typedef void (*nerva_pfa_out)(void *ctx, const char *json, size_t len);
typedef struct nerva_pfa {
    const char *name;
    int abi;
    const char *method;
    const char *input_schema;
    const char *output_schema;
    size_t (*engine_size)(void);
    int (*init)(void *engine);
    int (*action)(void *engine, const char *json, size_t len, nerva_pfa_out out, void *ctx);
    int (*end)(void *engine, nerva_pfa_out out, void *ctx);
    void (*free)(void *engine);
    int (*last_error)(const void *engine, const char **message, size_t *length);
    int (*set_timeout)(void *engine, long long ms);
} nerva_pfa;
#define NERVA_PFA_NO_CODE (-2147483647 - 1)
#endif
