/* handwritten.c -- the straightforward C a programmer would write for the
 * bench's network and vector machine (bench/neural_svm/gen_models.py):
 * weights in row-major arrays, one dot product per neuron, one squared
 * distance per support vector.  Each sum is written in the order the PMML
 * standard's reference evaluator adds (from 0, the terms in order, the bias
 * last), so the results are the same bits as nerva's and the bench can
 * check them for equality. */
#include <math.h>

#include "hw_data.h"
#include "handwritten.h"

double hw_nn(const double *x)
{
    double h1[H1], h2[H2], s;
    int i, j;
    for (i = 0; i < H1; i++) {
        s = 0.0;
        for (j = 0; j < NIN; j++)
            s += W1[i * NIN + j] * x[j];
        h1[i] = tanh(s + B1[i]);
    }
    for (i = 0; i < H2; i++) {
        s = 0.0;
        for (j = 0; j < H1; j++)
            s += W2[i * H1 + j] * h1[j];
        h2[i] = 1.0 / (1.0 + exp(-(s + B2[i])));
    }
    s = 0.0;
    for (j = 0; j < H2; j++)
        s += W3[j] * h2[j];
    return s + B3;
}

double hw_svm(const double *x)
{
    double s = 0.0;
    int k, j;
    for (k = 0; k < NSV; k++) {
        double d2 = 0.0;
        for (j = 0; j < DIM; j++) {
            double d = x[j] - SV[k * DIM + j];
            d2 += d * d;
        }
        s += ALPHA[k] * exp(-GAMMA * d2);
    }
    return s + SVM_B;
}
