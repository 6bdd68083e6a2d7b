/* main.c — entry point: GSL's abort-on-error handler off, then the CLI. */
#include <gsl/gsl_errno.h>

#include "cli.h"

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    return cli_main(argc, argv);
}
