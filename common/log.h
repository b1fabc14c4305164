/*
 * log.h - logging with levels, printf checking and rate limiting.
 *
 * The sink (level, destination) is process-wide and set once by main before
 * the event loop starts; afterwards it is only read.  That is the single
 * piece of shared state outside main.c, kept here so every module can log
 * without threading a logger through each call.
 *
 * Any line a packet can trigger must go through a struct log_rl owned by the
 * caller (per engine, per peer), so unauthenticated traffic cannot flood the
 * log (P22).  Never pass key material to these functions.
 */
#ifndef OVPN_LOG_H
#define OVPN_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LL_ERR = 0,
	LL_WARN = 1,
	LL_INFO = 2,
	LL_DEBUG = 3,
	LL_TRACE = 4,
};

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Map an OpenVPN `verb` number (0..11) onto our levels. */
enum log_level log_level_from_verb(int verb);
void log_setup(const char *progname, enum log_level level);
/* Also hand every written line (without date and level tag) to fn; NULL
 * removes it.  fn's own log calls are not fed back to it. */
void log_set_sink(void (*fn)(void *arg, enum log_level level, const char *text), void *arg);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_vmsg(enum log_level level, const char *fmt, va_list ap) LOG_PRINTF(2, 0);

#define log_err(...) log_msg(LL_ERR, __VA_ARGS__)
#define log_warnx(...) log_msg(LL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LL_TRACE, __VA_ARGS__)
/* Like log_warnx, with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);

/* Startup failures and broken invariants only; never reachable from input. */
_Noreturn void fatal(const char *fmt, ...) LOG_PRINTF(1, 2);   /* appends strerror(errno) */
_Noreturn void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2);

/*
 * Token bucket: `burst` lines at once, refilled at `per_sec` lines a second.
 * log_rl_allow() says whether one more line may be written now; lines that
 * were refused are counted and reported with the next allowed line.
 */
struct log_rl {
	uint64_t last;        /* µs of last refill */
	uint64_t credit;      /* per_sec x µs; one line costs 1e6 */
	uint32_t burst;
	uint32_t per_sec;
	uint32_t suppressed;
};

void log_rl_init(struct log_rl *rl, uint32_t burst, uint32_t per_sec);
bool log_rl_allow(struct log_rl *rl, uint64_t now);
/* Rate-limited log line; does nothing if the bucket is empty. */
void log_rl_msg(struct log_rl *rl, uint64_t now, enum log_level level, const char *fmt, ...)
	LOG_PRINTF(4, 5);

#endif
