/*
 * main.c - ovpn-endpoint: argument handling, configuration, run.
 *
 * This is the only file with process-wide state (the log sink is set from
 * here).  Exit status: 0 after a clean shutdown, 1 for configuration or
 * setup errors (the message names FILE:LINE where there is one).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/opensslv.h>

#include "conf_server.h"
#include "config.h"
#include "engine.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ovpn-endpoint --config FILE [--test-config]\n"
	    "       ovpn-endpoint --version\n"
	    "\n"
	    "  --config FILE   run with an OpenVPN-style server configuration\n"
	    "  --test-config   parse FILE, print the normalised configuration, exit\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test-config", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server_conf conf;
	struct engine *e = NULL;
	const char *path = NULL;
	bool test_only = false;
	char err[512];
	int c, r, status = 1;

	while ((c = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test_only = true;
			break;
		case 'V':
			printf("%s %s (%s)\n", PACKAGE_NAME, PACKAGE_VERSION, OPENSSL_VERSION_TEXT);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 1;
	}
	log_setup("ovpn-endpoint", LL_INFO);
	memset(&conf, 0, sizeof(conf));
	if (conf_server_load(path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (test_only) {
		conf_server_print(stdout, &conf);
		conf_server_free(&conf);
		return 0;
	}
	log_setup("ovpn-endpoint", log_level_from_verb((int)conf.verb));
	log_info("%s %s starting (%s)", PACKAGE_NAME, PACKAGE_VERSION, OPENSSL_VERSION_TEXT);
	r = engine_new(&conf, &e);
	if (r == 0 && engine_run(e) == 0)
		status = 0;
	engine_free(e);
	conf_server_free(&conf);
	if (status == 0)
		log_info("exiting");
	return status;
}
