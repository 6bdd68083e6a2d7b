/* cli_predict.h — `hetpref predict`: score a data file with a fitted
 * latent-class model (estimates.csv) or EM-DPO policies (policies.txt):
 * posterior types per user, choice probabilities per candidate, held-out
 * log-likelihood. The arithmetic is predict.h's and the models'. */
#ifndef HETPREF_CLI_PREDICT_H
#define HETPREF_CLI_PREDICT_H

/* Run `hetpref predict`; return the exit status. */
int cli_predict(int argc, char **argv);

#endif
