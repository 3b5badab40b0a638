/* the hand-written scorers of the bench (handwritten.c) */
#ifndef HANDWRITTEN_H
#define HANDWRITTEN_H
double hw_nn(const double *x);   /* x[NIN] */
double hw_svm(const double *x);  /* x[DIM] */
#endif
