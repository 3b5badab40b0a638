#include "lower_pmml.h"
int lower_clustering_model(Lower *L, const XElem *m, Scope *s, IrBlock *blk, ModelResult *r)
{ (void)s; (void)blk; (void)r; diag_error(L->d, lloc(L, m), "%s is not supported yet", m->name); return 1; }
