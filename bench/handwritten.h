/* The benchmark's hand-written scorer of XGBoost boosters (handwritten.c). */
#ifndef HW_HANDWRITTEN_H
#define HW_HANDWRITTEN_H

#include <stddef.h>
#include <stdint.h>

#define HW_MAX_FEAT 1024

typedef struct hw_node {
    int32_t f; /* feature, + nfeat when missing values go right */
    float t;   /* threshold: right when x >= t */
} hw_node;

typedef struct hw_model {
    int ntrees, depth, nfeat, ninner;
    float margin;
    hw_node *nodes; /* ntrees x ninner, level order */
    float *leaf;    /* ntrees x (ninner + 1) */
} hw_model;

/* 0, or -1 when the file cannot be read (bench/xgb2flat.py writes it) */
int hw_load(hw_model *m, const char *path);
void hw_free(hw_model *m);
/* probabilities of class 1 of n rows (row-major float32, NaN missing) */
void hw_batch(const hw_model *m, const float *rows, size_t n, float *out);
void hw_batch_avx512(const hw_model *m, const float *rows, size_t n, float *out);
int hw_have_avx512(void);
float hw_one(const hw_model *m, const float *row);

#endif
