/* pfa_prob.c -- PFA's special functions (m.special.*), link functions
 * (m.link.*) and probability distributions (prob.dist.*) for generated
 * engines, in the calling convention of pfa_lib.c.  The numbers are the
 * shared kernels' (kernels.c, special.c; PMML calls the same); this file
 * checks the parameters with the spec's error codes and handles the
 * degenerate parameterizations (a zero width, rate or size) the spec
 * allows.  Each distribution's codes are a base (invalid parameterization)
 * and base + 1 (invalid input). */

/*@ section special needs core kernel_gamma */
/* ---- m.special ---- */
NV_RT nv_val nvf_m_special_nChooseK(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t n = a[0].i, k = a[1].i, i;
    uint64_t r = 1;
    (void)T;
    if (k <= 0 || k >= n)
        nv_raise(E, 36000, "domain error");
    if (k > n - k)
        k = n - k;
    /* C(n - k + i, i) from C(n - k + i - 1, i - 1): exact, and the partial
       results never exceed the final one */
    for (i = 1; i <= k; i++) {
        r = r * (uint64_t)(n - k + i) / (uint64_t)i;
        if (r > INT32_MAX)
            nv_raise(E, 36000, "domain error");
    }
    return nv_vi((int32_t)r);
}

NV_RT nv_val nvf_m_special_lnBeta(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    if (a[0].d <= 0 || a[1].d <= 0)
        nv_raise(E, 36010, "domain error");
    return nv_vd(nv_lbeta(a[0].d, a[1].d));
}

NV_RT nv_val nvf_m_special_erf(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(erf(a[0].d));
}

NV_RT nv_val nvf_m_special_erfc(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)E;
    (void)T;
    return nv_vd(erfc(a[0].d));
}

/* log Gamma(x): for x <= 0 only where Gamma(x) > 0 (between -2k-2 and
   -2k-1), by the reflection formula; at the poles and where Gamma is
   negative the logarithm is not real: a domain error */
NV_RT nv_val nvf_m_special_lnGamma(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, f, r, s;
    (void)T;
    if (x > 0 || x != x)
        return nv_vd(nv_lgamma(x));
    f = floor(x);
    if (x == f || fmod(f, 2) != 0 || x == -HUGE_VAL)
        nv_raise(E, 36050, "domain error");
    r = x - f;                          /* in (0, 1), exact */
    s = sin(3.14159265358979323846 * (r < 0.5 ? r : 1 - r));
    return nv_vd(log(3.14159265358979323846 / s) - nv_lgamma(1 - x));
}

/*@ section link needs core vec kernel_link kernel_normal */
/* ---- m.link: each on a double, an array or a map of them ---- */
typedef double (*nv_dfn)(double);

NV_RT nv_val nv_link(nv_eng *E, const nv_type *t, nv_val x, nv_dfn f)
{
    int64_t i;
    if (t->kind == NV_DOUBLE)
        return nv_vd(f(x.d));
    if (t->kind == NV_ARRAY) {
        const nv_arr *v = NV_ARR(x);
        nv_arr *r = nv_arr_new(E, v->n);
        for (i = 0; i < v->n; i++)
            r->v[i] = nv_vd(f(v->v[i].d));
        return nv_vp(r);
    } else {
        const nv_map *m = NV_MAP(x);
        nv_map *r = nv_map_new(E, m->n);
        for (i = 0; i < m->n; i++) {
            r->e[i].k = m->e[i].k;
            r->e[i].v = nv_vd(f(m->e[i].v.d));
        }
        return nv_vp(r);
    }
}

NV_RT double nv_loglog_link(double x) { return nv_loglog_inv(-x); }

NV_RT nv_val nvf_m_link_logit(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_link(E, T[1], a[0], nv_logistic); }
NV_RT nv_val nvf_m_link_probit(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_link(E, T[1], a[0], nv_stdnorm_cdf); }
NV_RT nv_val nvf_m_link_cloglog(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_link(E, T[1], a[0], nv_cloglog_inv); }
NV_RT nv_val nvf_m_link_loglog(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_link(E, T[1], a[0], nv_loglog_link); }
NV_RT nv_val nvf_m_link_cauchit(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_link(E, T[1], a[0], nv_cauchit_inv); }
NV_RT nv_val nvf_m_link_softplus(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_link(E, T[1], a[0], nv_softplus); }
NV_RT nv_val nvf_m_link_relu(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_link(E, T[1], a[0], nv_relu); }
NV_RT nv_val nvf_m_link_tanh(nv_eng *E, const nv_type *const *T, const nv_val *a) { return nv_link(E, T[1], a[0], tanh); }

NV_RT nv_val nvf_m_link_softmax(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    int64_t i, n;
    double *v;
    if (T[1]->kind == NV_ARRAY) {
        n = NV_ARR(a[0])->n;
        if (n == 0)
            nv_raise(E, 25000, "empty input");
        v = nv_dvec(E, NV_ARR(a[0]));
        nv_softmax(v, n);
        return nv_vp(nv_darr(E, v, n));
    } else {
        const nv_map *m = NV_MAP(a[0]);
        nv_map *r;
        n = m->n;
        if (n == 0)
            nv_raise(E, 25000, "empty input");
        v = nv_dalloc(E, n);
        for (i = 0; i < n; i++)
            v[i] = m->e[i].v.d;
        nv_softmax(v, n);
        r = nv_map_new(E, n);
        for (i = 0; i < n; i++) {
            r->e[i].k = m->e[i].k;
            r->e[i].v = nv_vd(v[i]);
        }
        return nv_vp(r);
    }
}

/*@ section dist needs core vec kernel_dist */
/* ---- prob.dist ---- */
NV_RT void nv_param_ok(nv_eng *E, int ok, int code)
{
    if (!ok)
        nv_raise(E, code, "invalid parameterization");
}

NV_RT void nv_input_ok(nv_eng *E, double x, int code)
{
    if (!nv_finite(x))
        nv_raise(E, code + 1, "invalid input");
}

/* a probability argument of a quantile: in [0, 1] */
NV_RT void nv_prob_ok(nv_eng *E, double p, int code)
{
    if (!(p >= 0 && p <= 1))
        nv_raise(E, code + 1, "invalid input");
}

/* the normal's mu and sigma, from the arguments or a {mean, variance} */
NV_RT void nv_normal_params(nv_eng *E, const nv_type *const *T, const nv_val *a, double *mu, double *sigma, int code)
{
    if (T[2]->kind == NV_RECORD) {
        double var = nv_get_d(T[2], NV_REC(a[1]), "variance");
        if (!(var >= 0))
            nv_raise(E, code, "invalid parameterization");
        *mu = nv_get_d(T[2], NV_REC(a[1]), "mean");
        *sigma = sqrt(var);
    } else {
        *mu = a[1].d;
        *sigma = a[2].d;
    }
    nv_param_ok(E, nv_finite(*mu) && nv_finite(*sigma) && *sigma >= 0, code);
}

NV_RT nv_val nvf_prob_dist_gaussianLL(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, mu, sigma;
    nv_normal_params(E, T, a, &mu, &sigma, 13000);
    nv_input_ok(E, x, 13000);
    if (sigma == 0)
        return nv_vd(x == mu ? HUGE_VAL : -HUGE_VAL);
    return nv_vd(nv_normal_logpdf(x, mu, sigma));
}

NV_RT nv_val nvf_prob_dist_gaussianCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, mu, sigma;
    nv_normal_params(E, T, a, &mu, &sigma, 13010);
    nv_input_ok(E, x, 13010);
    if (sigma == 0)
        return nv_vd(x < mu ? 0 : 1);
    return nv_vd(nv_stdnorm_cdf((x - mu) / sigma));
}

NV_RT nv_val nvf_prob_dist_gaussianQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d, mu, sigma;
    nv_normal_params(E, T, a, &mu, &sigma, 13020);
    nv_prob_ok(E, p, 13020);
    if (p == 0 || p == 1)
        return nv_vd(p == 0 ? -HUGE_VAL : HUGE_VAL);
    if (sigma == 0)
        return nv_vd(mu);
    return nv_vd(mu + sigma * nv_stdnorm_idf(p));
}

/* exponential(lambda); lambda = 0 (no events) is allowed */
NV_RT nv_val nvf_prob_dist_exponentialPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, l = a[1].d;
    (void)T;
    nv_param_ok(E, nv_finite(l) && l >= 0, 13030);
    nv_input_ok(E, x, 13030);
    return nv_vd(l == 0 || x < 0 ? 0 : l * exp(-l * x));
}

NV_RT nv_val nvf_prob_dist_exponentialCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, l = a[1].d;
    (void)T;
    nv_param_ok(E, nv_finite(l) && l >= 0, 13040);
    nv_input_ok(E, x, 13040);
    return nv_vd(l == 0 || x <= 0 ? 0 : -expm1(-l * x));
}

NV_RT nv_val nvf_prob_dist_exponentialQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d, l = a[1].d;
    (void)T;
    nv_param_ok(E, nv_finite(l) && l >= 0, 13050);
    nv_prob_ok(E, p, 13050);
    if (p == 0)
        return nv_vd(0);
    if (l == 0 || p == 1)
        return nv_vd(HUGE_VAL);
    return nv_vd(-log1p(-p) / l);
}

/* chi-square(dof); dof = 0 is a point mass at 0, whose distribution
   function is 0 at 0 (the limit of a vanishing shape, as R has it) */
NV_RT nv_val nvf_prob_dist_chi2PDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d;
    int32_t k = a[1].i;
    (void)T;
    nv_param_ok(E, k >= 0, 13060);
    nv_input_ok(E, x, 13060);
    if (k == 0)
        return nv_vd(x == 0 ? HUGE_VAL : 0);
    return nv_vd(nv_gamma_pdf(x, k / 2.0, 2));
}

NV_RT nv_val nvf_prob_dist_chi2CDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d;
    int32_t k = a[1].i;
    (void)T;
    nv_param_ok(E, k >= 0, 13070);
    nv_input_ok(E, x, 13070);
    if (k == 0)     /* as R's pchisq: the limit of a vanishing shape */
        return nv_vd(x > 0 ? 1 : 0);
    return nv_vd(nv_gamma_cdf(x, k / 2.0, 2, 0));
}

NV_RT nv_val nvf_prob_dist_chi2QF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    int32_t k = a[1].i;
    (void)T;
    nv_param_ok(E, k >= 0, 13080);
    nv_prob_ok(E, p, 13080);
    if (p == 1)
        return nv_vd(HUGE_VAL);
    if (k == 0 || p == 0)
        return nv_vd(0);
    return nv_vd(nv_gamma_qf(p, k / 2.0, 2));
}

/* Poisson(lambda); lambda = 0 is a point mass at 0 */
NV_RT nv_val nvf_prob_dist_poissonPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double l = a[1].d;
    (void)T;
    nv_param_ok(E, nv_finite(l) && l >= 0, 13090);
    if (l == 0)
        return nv_vd(a[0].i == 0 ? 1 : 0);
    return nv_vd(nv_poisson_pdf(a[0].i, l));
}

NV_RT nv_val nvf_prob_dist_poissonCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double l = a[1].d;
    (void)T;
    nv_param_ok(E, nv_finite(l) && l >= 0, 13100);
    return nv_vd(nv_poisson_cdf(a[0].i, l, 0));
}

NV_RT nv_val nvf_prob_dist_poissonQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d, l = a[1].d;
    (void)T;
    nv_param_ok(E, nv_finite(l) && l >= 0, 13110);
    nv_prob_ok(E, p, 13110);
    if (l == 0 || p == 0)
        return nv_vd(0);
    if (p == 1)
        return nv_vd(HUGE_VAL);
    return nv_vd(nv_poisson_qf(p, l));
}

/* gamma(shape, scale); a zero shape or scale is a point mass at 0 (its
   distribution function 0 at 0, as for chi-square) */
NV_RT nv_val nvf_prob_dist_gammaPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, k = a[1].d, s = a[2].d;
    (void)T;
    nv_param_ok(E, nv_finite(k) && nv_finite(s) && k >= 0 && s >= 0, 13120);
    nv_input_ok(E, x, 13120);
    if (k == 0 || s == 0)
        return nv_vd(x == 0 ? HUGE_VAL : 0);
    return nv_vd(nv_gamma_pdf(x, k, s));
}

NV_RT nv_val nvf_prob_dist_gammaCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, k = a[1].d, s = a[2].d;
    (void)T;
    nv_param_ok(E, nv_finite(k) && nv_finite(s) && k >= 0 && s >= 0, 13130);
    nv_input_ok(E, x, 13130);
    if (k == 0 || s == 0)
        return nv_vd(x > 0 ? 1 : 0);
    return nv_vd(nv_gamma_cdf(x, k, s, 0));
}

NV_RT nv_val nvf_prob_dist_gammaQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d, k = a[1].d, s = a[2].d;
    (void)T;
    nv_param_ok(E, nv_finite(k) && nv_finite(s) && k > 0 && s > 0, 13140);
    nv_prob_ok(E, p, 13140);
    if (p == 1)
        return nv_vd(HUGE_VAL);
    return nv_vd(p == 0 ? 0 : nv_gamma_qf(p, k, s));
}

/* beta(a, b) */
NV_RT int nv_beta_ok(const nv_val *a) { return nv_finite(a[1].d) && nv_finite(a[2].d) && a[1].d > 0 && a[2].d > 0; }

NV_RT nv_val nvf_prob_dist_betaPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_beta_ok(a), 13150);
    nv_input_ok(E, a[0].d, 13150);
    return nv_vd(nv_beta_pdf(a[0].d, a[1].d, a[2].d));
}

NV_RT nv_val nvf_prob_dist_betaCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_beta_ok(a), 13160);
    nv_input_ok(E, a[0].d, 13160);
    return nv_vd(nv_beta_cdf(a[0].d, a[1].d, a[2].d, 0));
}

NV_RT nv_val nvf_prob_dist_betaQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, nv_beta_ok(a), 13170);
    nv_prob_ok(E, p, 13170);
    return nv_vd(p == 0 || p == 1 ? p : nv_beta_qf(p, a[1].d, a[2].d));
}

/* Cauchy(location, scale) */
NV_RT int nv_ls_ok(const nv_val *a) { return nv_finite(a[1].d) && nv_finite(a[2].d) && a[2].d > 0; }

NV_RT nv_val nvf_prob_dist_cauchyPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_ls_ok(a), 13180);
    nv_input_ok(E, a[0].d, 13180);
    return nv_vd(nv_cauchy_pdf(a[0].d, a[1].d, a[2].d));
}

NV_RT nv_val nvf_prob_dist_cauchyCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_ls_ok(a), 13190);
    nv_input_ok(E, a[0].d, 13190);
    return nv_vd(nv_cauchy_cdf(a[0].d, a[1].d, a[2].d, 0));
}

NV_RT nv_val nvf_prob_dist_cauchyQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, nv_ls_ok(a), 13200);
    nv_prob_ok(E, p, 13200);
    if (p == 0 || p == 1)
        return nv_vd(p == 0 ? -HUGE_VAL : HUGE_VAL);
    return nv_vd(nv_cauchy_qf(p, a[1].d, a[2].d));
}

/* F(d1, d2) */
NV_RT nv_val nvf_prob_dist_fPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, a[1].i > 0 && a[2].i > 0, 13210);
    nv_input_ok(E, a[0].d, 13210);
    return nv_vd(nv_f_pdf(a[0].d, a[1].i, a[2].i));
}

NV_RT nv_val nvf_prob_dist_fCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, a[1].i > 0 && a[2].i > 0, 13220);
    nv_input_ok(E, a[0].d, 13220);
    return nv_vd(nv_f_cdf(a[0].d, a[1].i, a[2].i, 0));
}

NV_RT nv_val nvf_prob_dist_fQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, a[1].i > 0 && a[2].i > 0, 13230);
    nv_prob_ok(E, p, 13230);
    if (p == 0 || p == 1)
        return nv_vd(p == 0 ? 0 : HUGE_VAL);
    return nv_vd(nv_f_qf(p, a[1].i, a[2].i));
}

/* log-normal(meanlog, sdlog) */
NV_RT nv_val nvf_prob_dist_lognormalPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_ls_ok(a), 13240);
    nv_input_ok(E, a[0].d, 13240);
    return nv_vd(nv_lognormal_pdf(a[0].d, a[1].d, a[2].d));
}

NV_RT nv_val nvf_prob_dist_lognormalCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_ls_ok(a), 13250);
    nv_input_ok(E, a[0].d, 13250);
    return nv_vd(nv_lognormal_cdf(a[0].d, a[1].d, a[2].d, 0));
}

NV_RT nv_val nvf_prob_dist_lognormalQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, nv_ls_ok(a), 13260);
    nv_prob_ok(E, p, 13260);
    if (p == 0 || p == 1)
        return nv_vd(p == 0 ? 0 : HUGE_VAL);
    return nv_vd(nv_lognormal_qf(p, a[1].d, a[2].d));
}

/* Student's t(dof) */
NV_RT nv_val nvf_prob_dist_tPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, a[1].i > 0, 13270);
    nv_input_ok(E, a[0].d, 13270);
    return nv_vd(nv_t_pdf(a[0].d, a[1].i));
}

NV_RT nv_val nvf_prob_dist_tCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, a[1].i > 0, 13280);
    nv_input_ok(E, a[0].d, 13280);
    return nv_vd(nv_t_cdf(a[0].d, a[1].i, 0));
}

NV_RT nv_val nvf_prob_dist_tQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, a[1].i > 0, 13290);
    nv_prob_ok(E, p, 13290);
    if (p == 0 || p == 1)
        return nv_vd(p == 0 ? -HUGE_VAL : HUGE_VAL);
    return nv_vd(nv_t_qf(p, a[1].i));
}

/* binomial(size, prob) */
NV_RT int nv_binom_ok(const nv_val *a) { return a[1].i >= 0 && a[2].d >= 0 && a[2].d <= 1; }

NV_RT nv_val nvf_prob_dist_binomialPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_binom_ok(a), 13300);
    return nv_vd(nv_binomial_pdf(a[0].i, a[1].i, a[2].d));
}

NV_RT nv_val nvf_prob_dist_binomialCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_binom_ok(a), 13310);
    nv_input_ok(E, a[0].d, 13310);
    return nv_vd(nv_binomial_cdf(a[0].d, a[1].i, a[2].d, 0));
}

NV_RT nv_val nvf_prob_dist_binomialQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, nv_binom_ok(a), 13320);
    nv_prob_ok(E, p, 13320);
    if (p == 1)     /* the end of the support, whatever prob (as R's qbinom) */
        return nv_vd(a[1].i);
    return nv_vd(nv_binomial_qf(p, a[1].i, a[2].d));
}

/* uniform(min, max) */
NV_RT int nv_unif_ok(const nv_val *a) { return nv_finite(a[1].d) && nv_finite(a[2].d) && a[1].d < a[2].d; }

NV_RT nv_val nvf_prob_dist_uniformPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, lo = a[1].d, hi = a[2].d;
    (void)T;
    nv_param_ok(E, nv_unif_ok(a), 13330);
    nv_input_ok(E, x, 13330);
    return nv_vd(x < lo || x > hi ? 0 : 1 / (hi - lo));
}

NV_RT nv_val nvf_prob_dist_uniformCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double x = a[0].d, lo = a[1].d, hi = a[2].d;
    (void)T;
    nv_param_ok(E, nv_unif_ok(a), 13340);
    nv_input_ok(E, x, 13340);
    return nv_vd(x <= lo ? 0 : x >= hi ? 1 : (x - lo) / (hi - lo));
}

NV_RT nv_val nvf_prob_dist_uniformQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d, lo = a[1].d, hi = a[2].d;
    (void)T;
    nv_param_ok(E, nv_unif_ok(a), 13350);
    nv_prob_ok(E, p, 13350);
    return nv_vd(p == 1 ? hi : lo + p * (hi - lo));
}

/* geometric(prob): failures before the first success */
NV_RT int nv_geom_ok(const nv_val *a) { return a[1].d > 0 && a[1].d <= 1; }

NV_RT nv_val nvf_prob_dist_geometricPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_geom_ok(a), 13360);
    return nv_vd(nv_geometric_pdf(a[0].i, a[1].d));
}

NV_RT nv_val nvf_prob_dist_geometricCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_geom_ok(a), 13370);
    nv_input_ok(E, a[0].d, 13370);
    return nv_vd(nv_geometric_cdf(a[0].d, a[1].d, 0));
}

NV_RT nv_val nvf_prob_dist_geometricQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, nv_geom_ok(a), 13380);
    nv_prob_ok(E, p, 13380);
    if (a[1].d == 1 || p == 0)
        return nv_vd(0);
    if (p == 1)
        return nv_vd(HUGE_VAL);
    return nv_vd(nv_geometric_qf(p, a[1].d));
}

/* hypergeometric(m white, n black, k drawn): white balls drawn */
NV_RT void nv_hyper_ok(nv_eng *E, const nv_val *a, int code)
{
    int64_t m = a[1].i, n = a[2].i, k = a[3].i;
    nv_param_ok(E, m >= 0 && n >= 0 && k >= 0 && m + n > 0 && m + n >= k, code);
}

NV_RT nv_val nvf_prob_dist_hypergeometricPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_hyper_ok(E, a, 13390);
    return nv_vd(nv_hyper_pdf(a[0].i, a[1].i, a[2].i, a[3].i));
}

NV_RT nv_val nvf_prob_dist_hypergeometricCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_hyper_ok(E, a, 13400);
    return nv_vd(nv_hyper_cdf(a[0].i, a[1].i, a[2].i, a[3].i, 0));
}

NV_RT nv_val nvf_prob_dist_hypergeometricQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_hyper_ok(E, a, 13410);
    nv_prob_ok(E, a[0].d, 13410);
    return nv_vd(nv_hyper_qf(a[0].d, a[1].i, a[2].i, a[3].i));
}

/* Weibull(shape, scale) */
NV_RT int nv_weib_ok(const nv_val *a) { return nv_finite(a[1].d) && nv_finite(a[2].d) && a[1].d > 0 && a[2].d > 0; }

NV_RT nv_val nvf_prob_dist_weibullPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_weib_ok(a), 13420);
    nv_input_ok(E, a[0].d, 13420);
    return nv_vd(nv_weibull_pdf(a[0].d, a[1].d, a[2].d));
}

NV_RT nv_val nvf_prob_dist_weibullCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_weib_ok(a), 13430);
    nv_input_ok(E, a[0].d, 13430);
    return nv_vd(nv_weibull_cdf(a[0].d, a[1].d, a[2].d, 0));
}

NV_RT nv_val nvf_prob_dist_weibullQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, nv_weib_ok(a), 13440);
    nv_prob_ok(E, p, 13440);
    return nv_vd(p == 1 ? HUGE_VAL : nv_weibull_qf(p, a[1].d, a[2].d));
}

/* negative binomial(size, prob): failures before the size-th success;
   size 0 is a point mass at 0.  prob must be in (0, 1]: the spec's text
   names only prob < 0, but at prob 0 no trial succeeds and there is no
   distribution (its "PDF" p^n (1-p)^x sums to 0); Titus, Hadrian and R
   (dnbinom) all refuse it. */
NV_RT int nv_nbin_ok(const nv_val *a, int size_positive)
{
    return a[2].d > 0 && a[2].d <= 1 && (size_positive ? a[1].i > 0 : a[1].i >= 0);
}

NV_RT nv_val nvf_prob_dist_negativeBinomialPDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_nbin_ok(a, 0), 13450);
    return nv_vd(nv_negbin_pdf(a[0].i, a[1].i, a[2].d));
}

NV_RT nv_val nvf_prob_dist_negativeBinomialCDF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    (void)T;
    nv_param_ok(E, nv_nbin_ok(a, 0), 13460);
    nv_input_ok(E, a[0].d, 13460);
    return nv_vd(nv_negbin_cdf(a[0].d, a[1].i, a[2].d, 0));
}

NV_RT nv_val nvf_prob_dist_negativeBinomialQF(nv_eng *E, const nv_type *const *T, const nv_val *a)
{
    double p = a[0].d;
    (void)T;
    nv_param_ok(E, nv_nbin_ok(a, 1), 13470);
    nv_prob_ok(E, p, 13470);
    if (p == 0 || a[2].d == 1)
        return nv_vd(0);
    if (p == 1)
        return nv_vd(HUGE_VAL);
    return nv_vd(nv_negbin_qf(p, a[1].i, a[2].d));
}
