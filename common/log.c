/*
 * log.c - the log sink and the token-bucket limiter.
 *
 * Lines go to stderr, one write(2) per line so concurrent writers (hooks,
 * a second thread later) cannot interleave within a line.  Each line is
 * prefixed with a UTC timestamp; tests and operators grep for the text after
 * it, so the message wording of important events is part of our interface.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mtime.h"

/* Set once by log_setup() before any event loop runs; read-only afterwards. */
static enum log_level log_cur_level = LL_INFO;
static const char *log_prog = "ovpn";
/* A second reader of every line (the management socket's `log`); it must
 * not log itself.  Set once at startup, cleared at exit. */
static void (*log_sink_fn)(void *arg, enum log_level level, const char *text);
static void *log_sink_arg;
static bool log_in_sink;

enum { LOG_LINE_MAX = 2048 };

enum log_level
log_level_from_verb(int verb)
{
	if (verb <= 0)
		return LL_ERR;
	if (verb <= 3)
		return LL_INFO;
	if (verb == 4)
		return LL_DEBUG;
	return LL_TRACE;
}

void
log_setup(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_cur_level = level;
}

void
log_set_sink(void (*fn)(void *arg, enum log_level level, const char *text), void *arg)
{
	log_sink_fn = fn;
	log_sink_arg = arg;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_cur_level;
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	static const char *const tag[] = { "ERROR: ", "WARNING: ", "", "", "" };
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ld %s",
	    ts.tv_nsec / 1000000, tag[level]);
	if (r > 0)
		n += (size_t)r;
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (r > 0)
			n += (size_t)r;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	if (suffix != NULL && n < sizeof(line) - 2) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", suffix);
		if (r > 0)
			n += (size_t)r;
		if (n >= sizeof(line) - 1)
			n = sizeof(line) - 2;
	}
	if (log_sink_fn != NULL && !log_in_sink) {
		size_t head = strlen(tag[level]) + 24;   /* the date and level tag */

		line[n] = '\0';
		log_in_sink = true;
		log_sink_fn(log_sink_arg, level, n > head ? line + head : "");
		log_in_sink = false;
	}
	line[n++] = '\n';
	/* A failed log write has nowhere to be reported; ignore it. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return;
	log_emit(level, fmt, ap, NULL);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!log_enabled(LL_WARN))
		return;
	va_start(ap, fmt);
	log_emit(LL_WARN, fmt, ap, strerror(saved));
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LL_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LL_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

void
log_rl_init(struct log_rl *rl, uint32_t burst, uint32_t per_sec)
{
	rl->last = 0;
	rl->burst = burst;
	rl->per_sec = per_sec;
	rl->credit = (uint64_t)burst * MTIME_US_PER_SEC;
	rl->suppressed = 0;
}

/*
 * Credit is kept exactly, in units of (lines x 1e6 / per_sec): each µs
 * adds per_sec units and a line costs 1e6.  No division, so frequent calls
 * cannot lose fractional refills to rounding.
 */
bool
log_rl_allow(struct log_rl *rl, uint64_t now)
{
	uint64_t cap = (uint64_t)rl->burst * MTIME_US_PER_SEC;
	uint64_t dt;

	if (now > rl->last && rl->per_sec > 0) {
		dt = now - rl->last;
		rl->last = now;
		if (dt > cap || rl->credit + dt * rl->per_sec > cap)
			rl->credit = cap;
		else
			rl->credit += dt * rl->per_sec;
	}
	if (rl->credit < MTIME_US_PER_SEC) {
		rl->suppressed++;
		return false;
	}
	rl->credit -= MTIME_US_PER_SEC;
	return true;
}

void
log_rl_msg(struct log_rl *rl, uint64_t now, enum log_level level, const char *fmt, ...)
{
	va_list ap;
	uint32_t dropped;

	if (!log_enabled(level))
		return;
	dropped = rl->suppressed;
	if (!log_rl_allow(rl, now))
		return;
	if (dropped > 0) {
		rl->suppressed = 0;
		log_msg(level, "(%u similar lines suppressed)", dropped);
	}
	va_start(ap, fmt);
	log_emit(level, fmt, ap, NULL);
	va_end(ap);
}
