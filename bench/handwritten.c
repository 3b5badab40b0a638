/* handwritten.c -- the benchmark's hand-written branch-free scorer of XGBoost
 * binary:logistic boosters: what the hardware allows, as a yardstick for
 * nerva's generated code (docs/performance.md).
 *
 * The trees come from bench/xgb2flat.py: every tree complete to the deepest
 * tree's depth D, nodes {feature, threshold} in level order, so a walk is D
 * steps of i = 2i + 1 + (x >= threshold) with no branch.  Missing values
 * (NaN) take the tree's default side without a test: each row is kept twice,
 * NaN as -inf and NaN as +inf, and a node reads the copy that sends a missing
 * value its default way (xgb2flat.py).  Rows are scored in blocks of 64, tree
 * by tree, so a tree stays in cache across the block and the 64 walks, being
 * independent, overlap.  The sum is in float, tree by tree, from the base
 * margin, as XGBoost's predictor adds; the logistic is 1 / (1 + e^-x) in
 * float.  With AVX-512 (chosen at run time) sixteen rows walk in one vector
 * with gathers. */
#include "handwritten.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HW_X86 1
#endif

#define BLOCK 64

int hw_load(hw_model *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    char magic[4];
    int hdr[3];
    float margin;
    memset(m, 0, sizeof *m);
    if (!f)
        return -1;
    if (fread(magic, 1, 4, f) != 4 || memcmp(magic, "HWT1", 4) != 0 || fread(hdr, sizeof(int), 3, f) != 3 ||
        fread(&margin, sizeof margin, 1, f) != 1 || hdr[0] <= 0 || hdr[1] < 1 || hdr[1] > 20 || hdr[2] <= 0) {
        fclose(f);
        return -1;
    }
    m->ntrees = hdr[0];
    m->depth = hdr[1];
    m->nfeat = hdr[2];
    m->margin = margin;
    m->ninner = (1 << m->depth) - 1;
    m->nodes = malloc(sizeof *m->nodes * (size_t)m->ninner * (size_t)m->ntrees);
    m->leaf = malloc(sizeof *m->leaf * (size_t)(m->ninner + 1) * (size_t)m->ntrees);
    int32_t *feat = malloc(sizeof *feat * (size_t)m->ninner);
    float *thr = malloc(sizeof *thr * (size_t)m->ninner);
    int ok = m->nodes && m->leaf && feat && thr;
    for (int t = 0; ok && t < m->ntrees; t++) {
        ok = fread(feat, sizeof *feat, (size_t)m->ninner, f) == (size_t)m->ninner &&
             fread(thr, sizeof *thr, (size_t)m->ninner, f) == (size_t)m->ninner &&
             fread(m->leaf + (size_t)t * (size_t)(m->ninner + 1), sizeof(float), (size_t)m->ninner + 1, f) ==
                 (size_t)m->ninner + 1;
        for (int i = 0; ok && i < m->ninner; i++) {
            ok = feat[i] >= 0 && feat[i] < 2 * m->nfeat;
            m->nodes[(size_t)t * (size_t)m->ninner + (size_t)i].f = feat[i];
            m->nodes[(size_t)t * (size_t)m->ninner + (size_t)i].t = thr[i];
        }
    }
    free(feat);
    free(thr);
    fclose(f);
    return ok ? 0 : -1;
}

void hw_free(hw_model *m)
{
    free(m->nodes);
    free(m->leaf);
}

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* a row twice: NaN as -inf, then NaN as +inf */
static void two_copies(const float *row, int nfeat, float *xx)
{
    for (int f = 0; f < nfeat; f++) {
        float v = row[f];
        xx[f] = v != v ? -INFINITY : v;
        xx[nfeat + f] = v != v ? INFINITY : v;
    }
}

/* one tree of depth D for the rows of a block, eight rows in lockstep (their
   walks are independent, so the processor overlaps them); D a constant where
   inlined */
#define STEP(I, X) I = 2 * I + 1 + (size_t)(X[T[I].f] >= T[I].t)
static inline __attribute__((always_inline)) void tree_block(const hw_node *T, const float *L, int D,
                                                             const float *xx, int stride, int n, float *acc)
{
    int r = 0;
    size_t first = ((size_t)1 << D) - 1;
    for (; r + 8 <= n; r += 8) {
        const float *x0 = xx + (size_t)r * (size_t)stride, *x1 = x0 + stride, *x2 = x1 + stride,
                    *x3 = x2 + stride, *x4 = x3 + stride, *x5 = x4 + stride, *x6 = x5 + stride,
                    *x7 = x6 + stride;
        size_t i0 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0, i5 = 0, i6 = 0, i7 = 0;
        for (int d = 0; d < D; d++) {
            STEP(i0, x0); STEP(i1, x1); STEP(i2, x2); STEP(i3, x3);
            STEP(i4, x4); STEP(i5, x5); STEP(i6, x6); STEP(i7, x7);
        }
        acc[r] += L[i0 - first]; acc[r + 1] += L[i1 - first];
        acc[r + 2] += L[i2 - first]; acc[r + 3] += L[i3 - first];
        acc[r + 4] += L[i4 - first]; acc[r + 5] += L[i5 - first];
        acc[r + 6] += L[i6 - first]; acc[r + 7] += L[i7 - first];
    }
    for (; r < n; r++) {
        const float *x0 = xx + (size_t)r * (size_t)stride;
        size_t i0 = 0;
        for (int d = 0; d < D; d++)
            STEP(i0, x0);
        acc[r] += L[i0 - first];
    }
}

static void trees_block(const hw_model *m, const float *xx, int n, float *acc)
{
    int stride = 2 * m->nfeat;
    for (int t = 0; t < m->ntrees; t++) {
        const hw_node *T = m->nodes + (size_t)t * (size_t)m->ninner;
        const float *L = m->leaf + (size_t)t * (size_t)(m->ninner + 1);
        switch (m->depth) {
        case 6: tree_block(T, L, 6, xx, stride, n, acc); break;
        case 8: tree_block(T, L, 8, xx, stride, n, acc); break;
        default: tree_block(T, L, m->depth, xx, stride, n, acc); break;
        }
    }
}

void hw_batch(const hw_model *m, const float *rows, size_t n, float *out)
{
    int stride = 2 * m->nfeat;
    float *xx = malloc(sizeof *xx * (size_t)BLOCK * (size_t)stride);
    float acc[BLOCK];
    if (!xx)
        abort();
    for (size_t b = 0; b < n; b += BLOCK) {
        int k = n - b < BLOCK ? (int)(n - b) : BLOCK;
        for (int r = 0; r < k; r++) {
            two_copies(rows + (b + (size_t)r) * (size_t)m->nfeat, m->nfeat, xx + (size_t)r * (size_t)stride);
            acc[r] = m->margin;
        }
        trees_block(m, xx, k, acc);
        for (int r = 0; r < k; r++)
            out[b + (size_t)r] = sigmoid(acc[r]);
    }
    free(xx);
}

/* one row, eight trees in lockstep (independent walks overlap); the sum
   still adds the trees in order */
static inline __attribute__((always_inline)) float trees_one(const hw_model *m, int D, const float *x, float acc)
{
    size_t first = ((size_t)1 << D) - 1, nin = (size_t)m->ninner, nl = nin + 1;
    int t = 0;
    for (; t + 8 <= m->ntrees; t += 8) {
        const hw_node *T0 = m->nodes + (size_t)t * nin;
        const float *L0 = m->leaf + (size_t)t * nl;
        size_t i0 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0, i5 = 0, i6 = 0, i7 = 0;
        for (int d = 0; d < D; d++) {
#define STEP1(I, K) I = 2 * I + 1 + (size_t)(x[T0[K * nin + I].f] >= T0[K * nin + I].t)
            STEP1(i0, 0); STEP1(i1, 1); STEP1(i2, 2); STEP1(i3, 3);
            STEP1(i4, 4); STEP1(i5, 5); STEP1(i6, 6); STEP1(i7, 7);
#undef STEP1
        }
        acc += L0[i0 - first]; acc += L0[nl + i1 - first]; acc += L0[2 * nl + i2 - first];
        acc += L0[3 * nl + i3 - first]; acc += L0[4 * nl + i4 - first]; acc += L0[5 * nl + i5 - first];
        acc += L0[6 * nl + i6 - first]; acc += L0[7 * nl + i7 - first];
    }
    for (; t < m->ntrees; t++) {
        const hw_node *T = m->nodes + (size_t)t * nin;
        size_t i0 = 0;
        for (int d = 0; d < D; d++)
            STEP(i0, x);
        acc += m->leaf[(size_t)t * nl + i0 - first];
    }
    return acc;
}

float hw_one(const hw_model *m, const float *row)
{
    float xx[2 * HW_MAX_FEAT];
    two_copies(row, m->nfeat, xx);
    switch (m->depth) {
    case 6: return sigmoid(trees_one(m, 6, xx, m->margin));
    case 8: return sigmoid(trees_one(m, 8, xx, m->margin));
    default: return sigmoid(trees_one(m, m->depth, xx, m->margin));
    }
}

#ifdef HW_X86
int hw_have_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

/* sixteen rows a vector, four vectors in flight */
__attribute__((target("avx512f"))) static void trees_block16(const hw_model *m, const float *xx, int nvec,
                                                              float *acc)
{
    int stride = 2 * m->nfeat;
    __m512i rowoff = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                        _mm512_set1_epi32(stride));
    __m512i one = _mm512_set1_epi32(1);
    for (int t = 0; t < m->ntrees; t++) {
        const int *T = (const int *)(m->nodes + (size_t)t * (size_t)m->ninner);
        const float *L = m->leaf + (size_t)t * (size_t)(m->ninner + 1);
        for (int v = 0; v < nvec; v += 4) {
            __m512i i0 = _mm512_setzero_si512(), i1 = i0, i2 = i0, i3 = i0;
            const float *x0 = xx + (size_t)(v + 0) * 16 * (size_t)stride, *x1 = x0 + 16 * stride,
                        *x2 = x1 + 16 * stride, *x3 = x2 + 16 * stride;
            for (int d = 0; d < m->depth; d++) {
#define HW_STEP(I, X)                                                                                      \
    {                                                                                                      \
        __m512i two = _mm512_add_epi32(I, I);                                                              \
        __m512i f = _mm512_i32gather_epi32(two, T, 4);                                                     \
        __m512 th = _mm512_i32gather_ps(_mm512_add_epi32(two, one), T, 4);                                 \
        __m512 xv = _mm512_i32gather_ps(_mm512_add_epi32(rowoff, f), X, 4);                                \
        __mmask16 ge = _mm512_cmp_ps_mask(xv, th, _CMP_GE_OQ);                                             \
        I = _mm512_mask_add_epi32(_mm512_add_epi32(two, one), ge, _mm512_add_epi32(two, one), one);        \
    }
                HW_STEP(i0, x0)
                if (v + 1 < nvec) HW_STEP(i1, x1)
                if (v + 2 < nvec) HW_STEP(i2, x2)
                if (v + 3 < nvec) HW_STEP(i3, x3)
#undef HW_STEP
            }
            __m512i base = _mm512_set1_epi32(m->ninner);
            __m512 a0 = _mm512_loadu_ps(acc + (size_t)v * 16);
            _mm512_storeu_ps(acc + (size_t)v * 16,
                             _mm512_add_ps(a0, _mm512_i32gather_ps(_mm512_sub_epi32(i0, base), L, 4)));
            if (v + 1 < nvec) {
                __m512 a = _mm512_loadu_ps(acc + (size_t)(v + 1) * 16);
                _mm512_storeu_ps(acc + (size_t)(v + 1) * 16,
                                 _mm512_add_ps(a, _mm512_i32gather_ps(_mm512_sub_epi32(i1, base), L, 4)));
            }
            if (v + 2 < nvec) {
                __m512 a = _mm512_loadu_ps(acc + (size_t)(v + 2) * 16);
                _mm512_storeu_ps(acc + (size_t)(v + 2) * 16,
                                 _mm512_add_ps(a, _mm512_i32gather_ps(_mm512_sub_epi32(i2, base), L, 4)));
            }
            if (v + 3 < nvec) {
                __m512 a = _mm512_loadu_ps(acc + (size_t)(v + 3) * 16);
                _mm512_storeu_ps(acc + (size_t)(v + 3) * 16,
                                 _mm512_add_ps(a, _mm512_i32gather_ps(_mm512_sub_epi32(i3, base), L, 4)));
            }
        }
    }
}

void hw_batch_avx512(const hw_model *m, const float *rows, size_t n, float *out)
{
    int stride = 2 * m->nfeat;
    float *xx = malloc(sizeof *xx * (size_t)BLOCK * (size_t)stride);
    float acc[BLOCK];
    if (!xx)
        abort();
    for (size_t b = 0; b < n; b += BLOCK) {
        int k = n - b < BLOCK ? (int)(n - b) : BLOCK;
        for (int r = 0; r < k; r++) {
            two_copies(rows + (b + (size_t)r) * (size_t)m->nfeat, m->nfeat, xx + (size_t)r * (size_t)stride);
            acc[r] = m->margin;
        }
        if (k == BLOCK)
            trees_block16(m, xx, BLOCK / 16, acc);
        else
            trees_block(m, xx, k, acc);
        for (int r = 0; r < k; r++)
            out[b + (size_t)r] = sigmoid(acc[r]);
    }
    free(xx);
}
#else
int hw_have_avx512(void) { return 0; }
void hw_batch_avx512(const hw_model *m, const float *rows, size_t n, float *out) { hw_batch(m, rows, n, out); }
#endif
