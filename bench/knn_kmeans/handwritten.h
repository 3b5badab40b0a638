/* the hand-written scorers of the bench (handwritten.c) */
#ifndef HANDWRITTEN_H
#define HANDWRITTEN_H
double hw_knn(const double *x);     /* x[KDIM]: the average target of the K nearest instances */
double hw_kmeans(const double *x);  /* x[CDIM]: the distance to the nearest center */
#endif
