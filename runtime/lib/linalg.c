/* linalg.c -- dense linear algebra on small matrices, shared by PFA's la,
 * stat.test and model modules and by PMML models that need it: LU
 * decomposition (determinant, inverse, linear systems), the Cholesky
 * factor, the eigen-decomposition of a symmetric matrix, and the
 * Moore-Penrose pseudoinverse.
 *
 * Why these methods: they are the textbook ones with known error bounds,
 * short enough to read, and need no workspace beyond what the caller
 * passes: LU with partial pivoting (backward stable in practice: the
 * computed factors are exact for A + E with |E| <= n eps g |A|, g the
 * growth factor), cyclic Jacobi rotations for the symmetric eigenproblem
 * (eigenvalues to within a few eps times the norm of A, eigenvectors
 * orthonormal to a few eps), one-sided Jacobi for the singular value
 * decomposition behind the pseudoinverse (the same accuracy for the
 * singular values; singular values below 1e-15 times the largest count as
 * zero, numpy's default).  Matrices are row-major double arrays; n is
 * their order (or m x n).  Each function is pure; the caller owns every
 * buffer.  tests/unit/test_lib.c checks them against mpmath's.  The cost
 * is O(n^3): callers bound n by what they accept, and may pass a poll (or
 * NULL) to be called back once per O(n^2) step of a large matrix -- an
 * engine's timeout check, which may unwind from there: the kernels hold
 * nothing that needs freeing. */

/*@ section kernel_linalg needs prelude */
typedef struct nv_poll {
    void (*fn)(void *ctx);
    void *ctx;
} nv_poll;

/* the poll, for orders from 32 up (below, the whole work is a blink) */
#define NV_POLL(poll, n) \
    do { \
        if ((poll) && (n) >= 32) \
            (poll)->fn((poll)->ctx); \
    } while (0)

/* LU decomposition with partial pivoting of a (n x n, in place): L below
   the diagonal (unit diagonal implied), U on and above; perm[i] the row of
   the original in row i.  Returns the sign of the permutation, or 0 when
   a pivot is exactly zero (a singular matrix; the factors are then
   incomplete). */
NV_RT int nv_lu(double *a, int64_t n, int64_t *perm, const nv_poll *poll)
{
    int64_t i, j, k, p;
    int sign = 1;
    for (i = 0; i < n; i++)
        perm[i] = i;
    for (k = 0; k < n; k++) {
        double big = 0;
        NV_POLL(poll, n);
        p = k;
        for (i = k; i < n; i++)
            if (fabs(a[i * n + k]) > big) {
                big = fabs(a[i * n + k]);
                p = i;
            }
        if (!(big > 0))
            return 0;
        if (p != k) {
            for (j = 0; j < n; j++) {
                double t = a[k * n + j];
                a[k * n + j] = a[p * n + j];
                a[p * n + j] = t;
            }
            i = perm[k];
            perm[k] = perm[p];
            perm[p] = i;
            sign = -sign;
        }
        for (i = k + 1; i < n; i++) {
            double f = a[i * n + k] /= a[k * n + k];
            if (f != 0)
                for (j = k + 1; j < n; j++)
                    a[i * n + j] -= f * a[k * n + j];
        }
    }
    return sign;
}

/* the determinant of a (n x n; a is overwritten): the product of the LU
   pivots, 0 for an exactly singular matrix */
NV_RT double nv_det(double *a, int64_t n, int64_t *perm, const nv_poll *poll)
{
    double d;
    int64_t i;
    int sign = nv_lu(a, n, perm, poll);
    if (!sign)
        return 0;
    d = sign;
    for (i = 0; i < n; i++)
        d *= a[i * n + i];
    return d;
}

/* solve (LU) x = b in place, with the factors and permutation of nv_lu;
   tmp has n doubles */
NV_RT void nv_lu_solve(const double *lu, int64_t n, const int64_t *perm, double *b, double *tmp)
{
    int64_t i, j;
    for (i = 0; i < n; i++)
        tmp[i] = b[perm[i]];
    for (i = 0; i < n; i++)
        for (j = 0; j < i; j++)
            tmp[i] -= lu[i * n + j] * tmp[j];
    for (i = n - 1; i >= 0; i--) {
        for (j = i + 1; j < n; j++)
            tmp[i] -= lu[i * n + j] * tmp[j];
        tmp[i] /= lu[i * n + i];
    }
    for (i = 0; i < n; i++)
        b[i] = tmp[i];
}

/* the inverse of a (n x n) into out (n x n); a is overwritten, perm holds n
   and tmp 2n.  Returns 0, or -1 when a is exactly singular. */
NV_RT int nv_inverse(double *a, int64_t n, double *out, int64_t *perm, double *tmp, const nv_poll *poll)
{
    int64_t i, j;
    double *col = tmp + n;
    if (!nv_lu(a, n, perm, poll))
        return -1;
    for (j = 0; j < n; j++) {
        NV_POLL(poll, n);
        for (i = 0; i < n; i++)
            col[i] = i == j;
        nv_lu_solve(a, n, perm, col, tmp);
        for (i = 0; i < n; i++)
            out[i * n + j] = col[i];
    }
    return 0;
}

/* The Cholesky factor L (lower, in place; above the diagonal zeroed) of a
   symmetric positive definite a.  Returns 0, or -1 when a is not
   (numerically) positive definite. */
NV_RT int nv_cholesky(double *a, int64_t n, const nv_poll *poll)
{
    int64_t i, j, k;
    for (j = 0; j < n; j++) {
        double s = a[j * n + j];
        NV_POLL(poll, n);
        for (k = 0; k < j; k++)
            s -= a[j * n + k] * a[j * n + k];
        if (!(s > 0))
            return -1;
        s = sqrt(s);
        a[j * n + j] = s;
        for (i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (k = 0; k < j; k++)
                t -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = t / s;
        }
        for (i = 0; i < j; i++)
            a[i * n + j] = 0;
    }
    return 0;
}

/* Scale the n values of a by the power of two 2^-e that brings the largest
   magnitude into [1/2, 1), and return e (0 when there is nothing to scale:
   all zero, or a value not finite).  Exact but for values 2^1074 times
   smaller than the largest, which underflow: the kernels below square
   entries, and a matrix of 1e200s (or 1e-200s) must not overflow (or
   vanish) there. */
NV_RT int nv_rescale(double *a, int64_t n)
{
    double big = 0;
    int64_t i;
    int e;
    for (i = 0; i < n; i++) {
        if (!(fabs(a[i]) <= DBL_MAX))
            return 0;
        if (fabs(a[i]) > big)
            big = fabs(a[i]);
    }
    if (big == 0)
        return 0;
    (void)frexp(big, &e);
    if (e != 0)
        for (i = 0; i < n; i++)
            a[i] = ldexp(a[i], -e);
    return e;
}

/* Eigenvalues w[0..n) and eigenvectors (the columns of v, n x n,
   orthonormal) of the symmetric a (n x n; overwritten), by cyclic Jacobi
   rotations until the off-diagonal part is negligible, on a rescaled by a
   power of two (nv_rescale).  Unordered. */
NV_RT void nv_sym_eigen(double *a, int64_t n, double *w, double *v, const nv_poll *poll)
{
    int64_t i, j, p, q;
    int sweep, e = nv_rescale(a, n * n);
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            v[i * n + j] = i == j;
    for (sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (p = 0; p < n; p++) {
            diag += a[p * n + p] * a[p * n + p];
            for (q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        }
        if (off == 0 || off <= 1e-36 * diag)
            break;
        for (p = 0; p < n; p++) {
            NV_POLL(poll, n);
            for (q = p + 1; q < n; q++) {
                double apq = a[p * n + q], theta, t, c, s, tau;
                if (apq == 0)
                    continue;
                theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                if (fabs(theta) > 1e150)
                    t = 1 / (2 * theta);
                c = 1 / sqrt(t * t + 1);
                s = t * c;
                tau = s / (1 + c);
                a[p * n + p] -= t * apq;
                a[q * n + q] += t * apq;
                a[p * n + q] = a[q * n + p] = 0;
                for (i = 0; i < n; i++) {
                    double aip, aiq;
                    if (i == p || i == q)
                        continue;
                    aip = a[i * n + p];
                    aiq = a[i * n + q];
                    a[i * n + p] = a[p * n + i] = aip - s * (aiq + tau * aip);
                    a[i * n + q] = a[q * n + i] = aiq + s * (aip - tau * aiq);
                }
                for (i = 0; i < n; i++) {
                    double vip = v[i * n + p], viq = v[i * n + q];
                    v[i * n + p] = vip - s * (viq + tau * vip);
                    v[i * n + q] = viq + s * (vip - tau * viq);
                }
            }
        }
    }
    for (i = 0; i < n; i++)
        w[i] = ldexp(a[i * n + i], e);
}

/* The Moore-Penrose pseudoinverse of a (m x n, m >= n; overwritten) into
   out (n x m): one-sided Jacobi orthogonalizes the columns of a (a V =
   U S), then out = V S^+ U^T, singular values at or below 1e-15 times the
   largest counting as zero; a rescaled by a power of two first
   (nv_rescale), out scaled back.  v holds n x n, s n. */
NV_RT void nv_pinv_tall(double *a, int64_t m, int64_t n, double *out, double *v, double *s, const nv_poll *poll)
{
    int64_t i, j, k;
    int sweep, e = nv_rescale(a, m * n);
    double smax = 0;
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            v[i * n + j] = i == j;
    for (sweep = 0; sweep < 100; sweep++) {
        int rotated = 0;
        for (j = 0; j < n; j++) {
            NV_POLL(poll, m > n ? m : n);
            for (k = j + 1; k < n; k++) {
                double alpha = 0, beta = 0, gamma = 0, zeta, t, c, sn;
                for (i = 0; i < m; i++) {
                    alpha += a[i * n + j] * a[i * n + j];
                    beta += a[i * n + k] * a[i * n + k];
                    gamma += a[i * n + j] * a[i * n + k];
                }
                if (gamma == 0 || fabs(gamma) <= 1e-15 * sqrt(alpha * beta))
                    continue;
                rotated = 1;
                zeta = (beta - alpha) / (2 * gamma);
                t = (zeta >= 0 ? 1 : -1) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                c = 1 / sqrt(1 + t * t);
                sn = c * t;
                for (i = 0; i < m; i++) {
                    double x = a[i * n + j], y = a[i * n + k];
                    a[i * n + j] = c * x - sn * y;
                    a[i * n + k] = sn * x + c * y;
                }
                for (i = 0; i < n; i++) {
                    double x = v[i * n + j], y = v[i * n + k];
                    v[i * n + j] = c * x - sn * y;
                    v[i * n + k] = sn * x + c * y;
                }
            }
        }
        if (!rotated)
            break;
    }
    for (j = 0; j < n; j++) {
        double t = 0;
        for (i = 0; i < m; i++)
            t += a[i * n + j] * a[i * n + j];
        s[j] = sqrt(t);
        if (s[j] > smax)
            smax = s[j];
    }
    /* out[r][c] = sum_j v[r][j] u[c][j] / s_j, u[c][j] = a[c][j] / s_j */
    for (i = 0; i < n; i++) {
        NV_POLL(poll, m > n ? m : n);
        for (k = 0; k < m; k++) {
            double t = 0;
            for (j = 0; j < n; j++)
                if (s[j] > 1e-15 * smax)
                    t += v[i * n + j] * a[k * n + j] / (s[j] * s[j]);
            out[i * m + k] = ldexp(t, -e);
        }
    }
}
