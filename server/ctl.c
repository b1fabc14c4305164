/*
 * ctl.c - `ovpn-endpoint ctl`: the admin CLI.  It speaks the management
 * protocol to a running endpoint (the same socket 2.6 tools use) and
 * prints tables for humans.
 *
 * The socket and password come from the endpoint's own config (--config)
 * or from --socket/--tcp and --password-file.  Every read has a deadline,
 * so a wedged daemon never hangs the CLI.  Replies are printed as the
 * daemon sent them, except `connections`, which turns `status 2` into a
 * table.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conf_server.h"
#include "ctl.h"
#include "err.h"

enum { CTL_TIMEOUT_MS = 5000, CTL_LINE = 8192 };

struct conn {
	int fd;
	char buf[CTL_LINE];
	size_t len;
};

static int
ctl_connect(const char *unix_path, const char *host, const char *port)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_un sun;
	int fd = -1;

	if (unix_path != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(unix_path) >= sizeof(sun.sun_path))
			return -1;
		strcpy(sun.sun_path, unix_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			fd = -1;
		}
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* One line (without CR LF) into out, or the password prompt, which has no
 * newline.  0, or -1 on EOF/timeout/error. */
static int
read_line(struct conn *c, char *out, size_t cap)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	char *nl;
	ssize_t k;
	size_t n;

	for (;;) {
		if ((nl = memchr(c->buf, '\n', c->len)) != NULL ||
		    (c->len >= 15 && memcmp(c->buf, "ENTER PASSWORD:", 15) == 0)) {
			n = nl != NULL ? (size_t)(nl - c->buf) : 15;
			snprintf(out, cap, "%.*s", (int)(n > 0 && c->buf[n - 1] == '\r' ? n - 1 : n),
			    c->buf);
			n += nl != NULL;
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return 0;
		}
		if (c->len == sizeof(c->buf))
			c->len = 0;      /* an absurd line: drop it */
		if (poll(&pfd, 1, CTL_TIMEOUT_MS) <= 0)
			return -1;
		k = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (k <= 0)
			return -1;
		c->len += (size_t)k;
	}
}

static int
send_line(struct conn *c, const char *s)
{
	size_t n = strlen(s);

	return write(c->fd, s, n) == (ssize_t)n && write(c->fd, "\n", 1) == 1 ? 0 : -1;
}

/* Read a reply: to END for multi-line replies, or one SUCCESS/ERROR line.
 * Notifications (">...") are skipped.  fn gets every reply line. */
static int
reply(struct conn *c, void (*fn)(const char *line, void *arg), void *arg)
{
	char line[CTL_LINE];

	while (read_line(c, line, sizeof(line)) == 0) {
		if (line[0] == '>')
			continue;
		if (strncmp(line, "SUCCESS:", 8) == 0) {
			fn(line, arg);
			return 0;
		}
		if (strncmp(line, "ERROR:", 6) == 0) {
			fprintf(stderr, "%s\n", line);
			return 1;
		}
		if (strcmp(line, "END") == 0)
			return 0;
		fn(line, arg);
	}
	fprintf(stderr, "ctl: no complete reply from the endpoint\n");
	return 1;
}

static void
print_line(const char *line, void *arg)
{
	(void)arg;
	printf("%s\n", line);
}

/* status 2 CLIENT_LIST lines as a table.  Fields (2.6): CLIENT_LIST, CN,
 * real, virtual, virtual6, bytes in, bytes out, since, since_t, username,
 * client id, peer id, cipher; empty fields are kept. */
static void
print_client(const char *line, void *arg)
{
	char copy[CTL_LINE], *f[16], *s, *comma;
	unsigned n = 0;

	if (strncmp(line, "CLIENT_LIST,", 12) != 0)
		return;
	snprintf(copy, sizeof(copy), "%s", line);
	for (s = copy; n < 16; s = comma + 1) {
		f[n++] = s;
		if ((comma = strchr(s, ',')) == NULL)
			break;
		*comma = '\0';
	}
	if (n < 13)
		return;
	printf("%-6s %-20s %-22s %-15s %12s %12s  %s\n", f[10], f[1], f[2], f[3], f[5], f[6], f[7]);
	(*(unsigned *)arg)++;
}

static int
password_from(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "re");

	if (f == NULL || fgets(out, (int)cap, f) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ovpn-endpoint ctl [--config FILE | --socket PATH | --tcp IP:PORT]\n"
	    "                         [--password-file FILE] [--json] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  connections            connected clients\n"
	    "  routes                 the endpoint's route table\n"
	    "  authorizations         authorization rules and their hit counters\n"
	    "  pool                   address pool use\n"
	    "  explain CN ADDRESS     which rule decides for that client and address\n"
	    "  kill CN                end every session of a common name\n"
	    "  disconnect CID [MSG]   tell one client to go (RESTART, or HALT) and end it\n"
	    "  reload                 re-read the config (as SIGHUP)\n"
	    "  status [1|2|3]         2.6's status report\n"
	    "  raw 'LINE'             any management command\n");
}

int
ctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "tcp", required_argument, NULL, 't' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server_conf conf;
	const char *conf_path = NULL, *sock = NULL, *tcp = NULL, *pwfile = NULL;
	char host[128] = "", port[8] = "", pw[256] = "", line[CTL_LINE], cmd[CTL_LINE];
	struct conn c;
	bool json = false, have_conf = false;
	unsigned nrows = 0;
	int o, r = 1;

	optind = 1;
	while ((o = getopt_long(argc, argv, "+c:s:t:p:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': conf_path = optarg; break;
		case 's': sock = optarg; break;
		case 't': tcp = optarg; break;
		case 'p': pwfile = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	memset(&conf, 0, sizeof(conf));
	if (conf_path != NULL) {
		if (conf_server_load_reload(conf_path, &conf, line, sizeof(line)) != 0) {
			fprintf(stderr, "%s\n", line);
			return 1;
		}
		have_conf = true;
		if (!conf.has_mgmt) {
			fprintf(stderr, "%s has no 'management' directive\n", conf_path);
			goto out;
		}
		if (conf.mgmt_unix)
			sock = conf.mgmt_where;
		else {
			snprintf(host, sizeof(host), "%s", conf.mgmt_where);
			snprintf(port, sizeof(port), "%u", conf.mgmt_port);
		}
		if (pwfile == NULL && conf.mgmt_pwfile[0] != '\0')
			pwfile = conf.mgmt_pwfile;
	}
	if (tcp != NULL) {
		const char *colon = strrchr(tcp, ':');

		if (colon == NULL) {
			fprintf(stderr, "--tcp wants IP:PORT\n");
			goto out;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - tcp), tcp);
		snprintf(port, sizeof(port), "%s", colon + 1);
	}
	if (sock == NULL && host[0] == '\0') {
		fprintf(stderr, "ctl: say where the endpoint listens: --config, --socket or --tcp\n");
		goto out;
	}
	if (pwfile != NULL && password_from(pwfile, pw, sizeof(pw)) != 0) {
		fprintf(stderr, "ctl: cannot read a password from %s\n", pwfile);
		goto out;
	}
	memset(&c, 0, sizeof(c));
	if ((c.fd = ctl_connect(sock, host, port)) < 0) {
		fprintf(stderr, "ctl: cannot connect to %s%s%s: %s\n", sock != NULL ? sock : host,
		    sock != NULL ? "" : ":", sock != NULL ? "" : port, strerror(errno));
		goto out;
	}
	/* greeting, or the password prompt first */
	if (read_line(&c, line, sizeof(line)) != 0)
		goto closed;
	if (strncmp(line, "ENTER PASSWORD:", 15) == 0) {
		if (pw[0] == '\0') {
			fprintf(stderr, "ctl: the endpoint wants a password (--password-file)\n");
			goto closed;
		}
		send_line(&c, pw);
		if (read_line(&c, line, sizeof(line)) != 0 || strncmp(line, "SUCCESS:", 8) != 0) {
			fprintf(stderr, "ctl: password refused\n");
			goto closed;
		}
		if (read_line(&c, line, sizeof(line)) != 0)    /* the greeting */
			goto closed;
	}
	argv += optind;
	argc -= optind;
	if (strcmp(argv[0], "connections") == 0) {
		snprintf(cmd, sizeof(cmd), json ? "json status" : "status 2");
	} else if (strcmp(argv[0], "disconnect") == 0 && argc >= 2) {
		snprintf(cmd, sizeof(cmd), "client-kill %s%s%s", argv[1], argc >= 3 ? " " : "",
		    argc >= 3 ? argv[2] : "");
	} else if (strcmp(argv[0], "reload") == 0) {
		snprintf(cmd, sizeof(cmd), "signal SIGHUP");
	} else if (strcmp(argv[0], "raw") == 0 && argc == 2) {
		snprintf(cmd, sizeof(cmd), "%s", argv[1]);
	} else if ((strcmp(argv[0], "routes") == 0 || strcmp(argv[0], "authorizations") == 0 ||
	    strcmp(argv[0], "pool") == 0 || strcmp(argv[0], "status") == 0 ||
	    (strcmp(argv[0], "explain") == 0 && argc == 3) ||
	    (strcmp(argv[0], "kill") == 0 && argc == 2))) {
		snprintf(cmd, sizeof(cmd), "%s%s%s%s%s%s", json && strcmp(argv[0], "kill") != 0 ?
		    "json " : "", argv[0], argc >= 2 ? " " : "", argc >= 2 ? argv[1] : "",
		    argc >= 3 ? " " : "", argc >= 3 ? argv[2] : "");
	} else {
		usage(stderr);
		goto closed;
	}
	if (strchr(cmd, '\n') != NULL || send_line(&c, cmd) != 0)
		goto closed;
	if (strcmp(argv[0], "connections") == 0 && !json) {
		printf("%-6s %-20s %-22s %-15s %12s %12s  %s\n", "CID", "COMMON NAME", "REAL ADDRESS",
		    "VIRTUAL ADDRESS", "BYTES IN", "BYTES OUT", "CONNECTED SINCE");
		r = reply(&c, print_client, &nrows);
		if (r == 0 && nrows == 0)
			printf("(no clients)\n");
	} else {
		r = reply(&c, print_line, NULL);
	}
	send_line(&c, "quit");
closed:
	close(c.fd);
out:
	if (have_conf)
		conf_server_free(&conf);
	return r;
}
