/* A host program that embeds the compiled fraud model through its typed API.
 *   nerva compile samples/fraud/fraud.pmml -o fraud.c      (writes fraud.c and fraud.h)
 *   cc -std=c99 -O2 embed.c fraud.c -lm -o embed && ./embed
 * The struct members are named after the model's fields (fraud.h lists them),
 * so a retrained model that renames or drops a field this code sets fails to
 * compile, and one that reorders its fields still scores right. */
#include <stdio.h>
#include "fraud.h"

int main(void)
{
    fraud_input in = {0};                /* every state byte NERVA_PRESENT */
    fraud_output out;
    in.amount = 2450.00;
    in.merchant_category = "crypto_exchange";
    in.hour = 3;
    in.country_mismatch = 1;
    in.state[fraud_in_card_age_days] = NERVA_MISSING;   /* not known */
    if (fraud_score(&in, &out) != NERVA_OK)
        return 1;
    printf("is_fraud=%s fraud_probability=%.6f decision=%s\n", out.is_fraud, out.fraud_probability,
           out.decision);
    return 0;
}
