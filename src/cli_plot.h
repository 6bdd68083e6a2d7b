/* cli_plot.h — `hetpref plot`: redraw a built-in experiment's figure, draw
 * any sweep's summary.csv (plotsweep.h), or draw one latent-class fit
 * (plotfit.h). Parses the flags, decides which kind of directory DIR is,
 * checks everything before it writes anything. */
#ifndef HETPREF_CLI_PLOT_H
#define HETPREF_CLI_PLOT_H

/* The plot command (argv[1] == "plot"); returns the exit status. */
int cli_plot(int argc, char **argv);

#endif
