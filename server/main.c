/*
 * main.c - ovpn-endpoint: argument handling, configuration, run.
 *
 * This is the only file with process-wide state (the log sink is set from
 * here).  Exit status: 0 after a clean shutdown, 1 for configuration or
 * setup errors (the message names FILE:LINE where there is one).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/opensslv.h>

#include "addr.h"
#include "conf_server.h"
#include "config.h"
#include "ctl.h"
#include "engine.h"
#include "err.h"
#include "log.h"
#include "privdrop.h"
#include "sdnotify.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ovpn-endpoint --config FILE [--test-config]\n"
	    "       ovpn-endpoint ctl ...          (admin CLI; ovpn-endpoint ctl --help)\n"
	    "       ovpn-endpoint init --dir DIR --client-cidr CIDR [--remote HOST[:PORT]]...\n"
	    "                          [--proto udp|tcp] [--port N] [--eni IFACE] [--force]\n"
	    "       ovpn-endpoint --version\n"
	    "\n"
	    "  --config FILE   run with an OpenVPN-style server configuration\n"
	    "  --test-config   parse FILE, print the normalised configuration, exit\n");
}


/* ---- ovpn-endpoint init: a PKI and a config ready to run ---- */

/* a + b into out; -1 (and an empty out) if it does not fit */
static int
path_join(char *out, size_t cap, const char *a, const char *b)
{
	int r = snprintf(out, cap, "%s%s", a, b);

	if (r < 0 || (size_t)r >= cap) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* Our own ovpn-pki: next to this program (installed), in ../pki (build
 * tree), else on PATH. */
static void
find_pki(char *out, size_t cap)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	snprintf(out, cap, "ovpn-pki");
	if (n <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	if (path_join(out, cap, self, "/ovpn-pki") == 0 && access(out, X_OK) == 0)
		return;
	if (path_join(out, cap, self, "/../pki/ovpn-pki") == 0 && access(out, X_OK) == 0)
		return;
	snprintf(out, cap, "ovpn-pki");
}

static int
run_pki(const char *pki, const char *dir, const char *const *args)
{
	const char *argv[16];
	size_t n = 0;
	pid_t pid;
	int st;

	argv[n++] = pki;
	argv[n++] = "--dir";
	argv[n++] = dir;
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(pki, (char *const *)argv);
		fprintf(stderr, "ovpn-endpoint init: cannot run %s: %s\n", pki, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

static int
write_new(const char *path, const char *text, bool force)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (!force && access(path, F_OK) == 0) {
		fprintf(stderr, "ovpn-endpoint init: %s exists (use --force to replace it)\n", path);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL || fputs(text, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fprintf(stderr, "ovpn-endpoint init: cannot write %s: %s\n", tmp, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "ovpn-endpoint init: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "client-cidr", required_argument, NULL, 'c' },
		{ "remote", required_argument, NULL, 'r' },
		{ "proto", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "eni", required_argument, NULL, 'e' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *cidr = NULL, *proto = "udp", *port = "1194", *eni = NULL;
	const char *remotes[8];
	char pkidir[PATH_MAX], path[PATH_MAX], pki[PATH_MAX], net[ADDR_STR_MAX], mask[ADDR_STR_MAX];
	char conf[16384], dflt[2048];
	int w;
	size_t nr = 0, i, n;
	struct prefix pfx;
	struct addr m;
	bool force = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'c': cidr = optarg; break;
		case 'r':
			if (nr == 8) {
				fprintf(stderr, "ovpn-endpoint init: at most 8 --remote\n");
				return 1;
			}
			remotes[nr++] = optarg;
			break;
		case 'p': proto = optarg; break;
		case 'P': port = optarg; break;
		case 'e': eni = optarg; break;
		case 'f': force = true; break;
		default: usage(stderr); return 1;
		}
	}
	if (dir == NULL || cidr == NULL || optind != argc) {
		usage(stderr);
		return 1;
	}
	if (prefix_parse(cidr, false, &pfx) != 0 || pfx.a.family != AF_INET || pfx.len < 16 ||
	    pfx.len > 29) {
		fprintf(stderr, "ovpn-endpoint init: --client-cidr '%s' must be an IPv4 network from /16 "
		    "to /29 with no host bits (e.g. 10.100.0.0/22)\n", cidr);
		return 1;
	}
	if (strcmp(proto, "udp") != 0 && strcmp(proto, "tcp") != 0) {
		fprintf(stderr, "ovpn-endpoint init: --proto must be udp or tcp\n");
		return 1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "ovpn-endpoint init: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (path_join(pkidir, sizeof(pkidir), dir, "/pki") != 0 || strlen(pkidir) > 512) {
		fprintf(stderr, "ovpn-endpoint init: --dir is too long\n");
		return 1;
	}
	find_pki(pki, sizeof(pki));
	{
		const char *a_init[] = { "init", force ? "--force" : NULL, NULL };
		const char *a_srv[] = { "issue-server", "server", force ? "--force" : NULL, NULL };
		const char *a_tc2[] = { "tls-crypt-v2-server", force ? "--force" : NULL, NULL };

		if (run_pki(pki, pkidir, a_init) != 0 || run_pki(pki, pkidir, a_srv) != 0 ||
		    run_pki(pki, pkidir, a_tc2) != 0) {
			fprintf(stderr, "ovpn-endpoint init: making the PKI in %s failed (see above)\n",
			    pkidir);
			return 1;
		}
	}
	n = (size_t)snprintf(dflt, sizeof(dflt), "# defaults for 'ovpn-pki export', written by "
	    "ovpn-endpoint init\nproto %s\nport %s\n", proto, port);
	for (i = 0; i < nr && n < sizeof(dflt); i++)
		n += (size_t)snprintf(dflt + n, sizeof(dflt) - n, "remote %s\n", remotes[i]);
	if (path_join(path, sizeof(path), pkidir, "/profile-defaults") != 0 ||
	    write_new(path, dflt, true) != 0)
		return 1;

	addr_format(&pfx.a, net, sizeof(net));
	addr_netmask_from_len(pfx.len, &m);
	addr_format(&m, mask, sizeof(mask));
	w = snprintf(conf, sizeof(conf),
	    "# ovpn-endpoint configuration, made by 'ovpn-endpoint init'.\n"
	    "# OpenVPN 2.6 server syntax: every directive keeps its 2.6 meaning.\n"
	    "\n"
	    "port %s\n"
	    "proto %s\n"
	    "dev tun\n"
	    "\n"
	    "# The client CIDR: the endpoint takes the first address, clients the rest.\n"
	    "topology subnet\n"
	    "server %s %s\n"
	    "\n"
	    "# PKI made by ovpn-pki (see 'ovpn-pki --dir %s list').  Clients need a\n"
	    "# certificate from this CA and the tls-crypt-v2 key in their profile:\n"
	    "#   ovpn-pki --dir %s export alice > alice.ovpn\n"
	    "ca %s/ca.crt\n"
	    "cert %s/issued/server.crt\n"
	    "key %s/private/server.key\n"
	    "dh none\n"
	    "tls-crypt-v2 %s/tc2-server.key\n"
	    "remote-cert-tls client\n"
	    "# Revocation: 'ovpn-pki revoke NAME' rewrites this file; the endpoint\n"
	    "# notices within a second and ends that client's session.\n"
	    "crl-verify %s/crl.pem\n"
	    "\n"
	    "keepalive 10 60\n"
	    "data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\n"
	    "verb 3\n"
	    "%s%s%s",
	    port, strcmp(proto, "tcp") == 0 ? "tcp-server" : "udp", net, mask, pkidir, pkidir,
	    pkidir, pkidir, pkidir, pkidir, pkidir,
	    eni != NULL ? "\n# --eni " : "", eni != NULL ? eni : "",
	    eni != NULL ? ": routing and NAT onto the VPC interface come with the\n"
	    "# target-network directives (not in this version); until then route\n"
	    "# the client CIDR from the VPC side, or add an nftables masquerade rule.\n" : "");
	if (w < 0 || (size_t)w >= sizeof(conf) || path_join(path, sizeof(path), dir, "/server.conf") != 0 ||
	    write_new(path, conf, force) != 0)
		return 1;
	printf("ovpn-endpoint init: done.\n"
	    "  config:  %s\n"
	    "  PKI:     %s\n"
	    "Next:\n"
	    "  ovpn-pki --dir %s export alice%s > alice.ovpn\n"
	    "  ovpn-endpoint --config %s\n",
	    path, pkidir, pkidir, nr == 0 ? " --remote YOUR.PUBLIC.ADDRESS" : "", path);
	return 0;
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
	struct privdrop pd;
	struct privdrop_status ps;
	struct sdnotify sd;
	struct engine *e = NULL;
	const char *path = NULL;
	bool test_only = false;
	char err[512];
	int c, r, status = 1;

	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return ctl_main(argc - 1, argv + 1);
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
	if (conf.log_file[0] != '\0') {
		/* log / log-append: stderr becomes the file, as 2.6 does */
		int fd = open(conf.log_file, O_WRONLY | O_CREAT | O_CLOEXEC |
		    (conf.log_append ? O_APPEND : O_TRUNC), 0640);

		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
			fprintf(stderr, "%s: cannot open log file %s: %s\n", conf.file, conf.log_file,
			    strerror(errno));
			conf_server_free(&conf);
			return 1;
		}
		close(fd);
	}
	log_info("%s %s starting (%s)", PACKAGE_NAME, PACKAGE_VERSION, OPENSSL_VERSION_TEXT);
	/* resolve user/group now (a bad name fails before anything is set up);
	 * systemd's socket is taken before any hook could inherit it */
	if (privdrop_resolve(conf.user[0] ? conf.user : NULL, conf.group_name[0] ?
	    conf.group_name : NULL, &pd, err, sizeof(err)) != 0) {
		log_err("%s: %s", conf.file, err);
		conf_server_free(&conf);
		return 1;
	}
	if (sdnotify_open_env(&sd) != 0)
		log_warn("NOTIFY_SOCKET is set but unusable; not reporting to systemd");
	r = engine_new(&conf, &e);
	if (r == 0) {
		/* P17: everything privileged is set up; keep only CAP_NET_ADMIN (routes,
		 * rules, NAT and the device on reload) as the configured user */
		if (privdrop_apply(&pd, err, sizeof(err)) != 0) {
			log_err("cannot drop privileges: %s", err);
			r = ERR_SYS;
		} else if (privdrop_status(&ps) == 0 &&
		    privdrop_status_format(&ps, err, sizeof(err)) == 0) {
			log_info("privileges: %s", err);
		}
	}
	if (r == 0) {
		engine_set_sdnotify(e, &sd);
		sdnotify_ready(&sd);
		if (engine_run(e) == 0)
			status = 0;
		sdnotify_stopping(&sd);
	}
	engine_free(e);
	sdnotify_close(&sd);
	conf_server_free(&conf);
	if (status == 0)
		log_info("exiting");
	return status;
}
