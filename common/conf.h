/*
 * conf.h - OpenVPN 2.6 config-file syntax: tokenizer, inline blocks, and a
 * table-driven directive dispatcher.  Knows no directive itself; the server
 * and client each supply a sorted const table of struct conf_directive.
 *
 * Syntax (as OpenVPN 2.6 parse_line()/read_config_file() do it):
 *  - Tokens are separated by whitespace (space, \t, \v, \f, \r), so CRLF files
 *    need no special case.  A UTF-8 BOM at the start of line 1 is skipped.
 *  - '#' or ';' where a token would start comments out the rest of the line;
 *    inside a token ("a#b") it is an ordinary character.
 *  - "double quotes" and 'single quotes' group a token, but only where a token
 *    starts (a"b c" is the two tokens a"b and c").  A closing quote ends the
 *    token at once ("a"b gives two tokens).  "" is an empty token.
 *  - Outside single quotes, a backslash makes the next character literal, but
 *    only \\, \" and backslash-whitespace are allowed; any other escape is an
 *    error (2.6: "Bad backslash usage").  A line ending in the middle of a
 *    token after a backslash is an error; a lone backslash between tokens is
 *    ignored, as in 2.6.
 *  - An optional leading "--" on the directive is dropped ("--port 1194").
 *  - A line holding only "<tag>" opens an inline block: every following line
 *    is body, verbatim (line endings included), up to a line whose first
 *    non-blank characters are "</tag>" (anything after it is ignored).  The
 *    directive is "tag" with the body in place of its one argument.
 *
 * Where 2.6 truncates silently we fail instead: lines longer than
 * CONF_LINE_MAX bytes, more than CONF_MAX_TOKENS tokens, NUL bytes, blocks
 * larger than CONF_INLINE_MAX.  Directive names are case-sensitive.
 *
 * Errors are text in struct conf_err: "FILE:LINE: message" for a line,
 * "FILE: message" for a whole-file check.  Control characters from the input
 * are replaced with '?' in messages.
 */
#ifndef OVPN_CONF_H
#define OVPN_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	CONF_LINE_MAX = 256,        /* bytes in a directive line, line ending excluded (2.6 OPTION_LINE_SIZE) */
	CONF_MAX_TOKENS = 16,       /* directive + 15 arguments (2.6 MAX_PARMS) */
	CONF_INLINE_MAX = 1 << 20,  /* bytes in one inline block */
	CONF_FILE_MAX = 8 << 20,    /* bytes in a config file */
	CONF_ERR_MAX = 512,
	CONF_TAG_MAX = 64,          /* length of an inline tag name */
	CONF_ARGS_ANY = 255,        /* max_args for "no upper limit" (still capped by CONF_MAX_TOKENS) */
};

/* Where a directive may appear (struct conf_directive.scope, and the scope a
 * parser runs in). */
enum conf_scope {
	CONF_SCOPE_SERVER = 1 << 0,  /* server config file */
	CONF_SCOPE_CLIENT = 1 << 1,  /* client config file */
	CONF_SCOPE_PUSH = 1 << 2,    /* may arrive in a PUSH_REPLY */
	CONF_SCOPE_CCD = 1 << 3,     /* client-config-dir file */
};

struct conf_err {
	char msg[CONF_ERR_MAX];
};

/* One logical directive, handed to a handler.  All pointers are valid only
 * during the handler call; handlers copy what they keep. */
struct conf_line {
	const char *file;                 /* name used in messages */
	unsigned lineno;                  /* 1-based; for an inline block, the <tag> line */
	unsigned argc;                    /* tokens including the directive (argv[0]) */
	const char *argv[CONF_MAX_TOKENS + 1];  /* argv[argc] == NULL */
	bool is_inline;                   /* inline block: argc == 1, body in data/len */
	const char *data;                 /* NUL-terminated inline body (may hold key material) */
	size_t len;
};

struct conf_directive {
	const char *name;
	uint8_t min_args, max_args;       /* arguments after the name; CONF_ARGS_ANY = open */
	uint8_t scope;                    /* enum conf_scope bits */
	bool inline_ok;                   /* may be given as <name>...</name> */
	/* Returns 0, or ERR_CONFIG after filling err (use conf_errf).  Called only
	 * once the argument count (or inline_ok) has been checked. */
	int (*handler)(void *ctx, const struct conf_directive *d, const struct conf_line *line,
		       struct conf_err *err);
	/* Optional: writes the directive's normalised line(s) for obj, or nothing.
	 * NULL: never printed (unsupported or implied directives). */
	void (*print)(FILE *f, const struct conf_directive *d, const void *obj);
	/* For table-generic handlers (a flag or a number stored straight into
	 * the config struct): where the field is, and the number's range.  Unused
	 * by handlers written for one directive. */
	size_t off;
	uint32_t lo, hi;
};

/*
 * Line-at-a-time parser.  Feed physical lines without their '\n' (a '\r' may
 * stay: it is whitespace, and verbatim inside inline bodies).  After the first
 * error every later call returns ERR_CONFIG and err keeps the first message.
 * The parser owns an inline-body buffer; call conf_parser_free() (it wipes it).
 */
struct conf_parser {
	const struct conf_directive *table;
	size_t n;
	unsigned scope;
	void *ctx;
	const char *file;
	unsigned lineno;
	int status;                       /* 0, or the first error */
	struct conf_err err;
	/* inline block being collected */
	bool in_inline;
	unsigned inline_lineno;
	char tag[CONF_TAG_MAX + 1];
	char *body;
	size_t body_len, body_cap;
};

/* `file` must outlive the parser.  `table` must pass conf_table_check(). */
void conf_parser_init(struct conf_parser *p, const struct conf_directive *table, size_t n,
    unsigned scope, const char *file, void *ctx);
/* One line (bytes [line, line+len), need not be NUL-terminated). 0 or ERR_CONFIG. */
int conf_feed_line(struct conf_parser *p, const char *line, size_t len);
/* End of input: fails if an inline block is still open. 0 or ERR_CONFIG. */
int conf_finish(struct conf_parser *p);
void conf_parser_free(struct conf_parser *p);

/* Whole buffer: split on '\n', feed, finish.  0 or ERR_CONFIG (err filled). */
int conf_parse_buf(const struct conf_directive *table, size_t n, unsigned scope, const char *name,
    const char *text, size_t len, void *ctx, struct conf_err *err);
/* Read `path` (at most CONF_FILE_MAX bytes) and parse it; the copy in memory
 * is wiped afterwards since it may hold inline keys. */
int conf_parse_file(const struct conf_directive *table, size_t n, unsigned scope, const char *path,
    void *ctx, struct conf_err *err);

/* Directive by exact name (bsearch), or NULL. */
const struct conf_directive *conf_lookup(const struct conf_directive *table, size_t n, const char *name);
/* Table is strictly sorted by strcmp, every min_args <= max_args, handlers set. */
bool conf_table_check(const struct conf_directive *table, size_t n);

/*
 * Split one line into tokens (the bare tokenizer, exposed for tests and
 * fuzzing).  Token text goes into store (cap >= CONF_LINE_MAX + CONF_MAX_TOKENS
 * suffices for any line that passes the length cap); argv gets pointers into
 * it.  Returns 0 (argc may be 0 for blank/comment lines), or ERR_CONFIG with a
 * reason (static text) in *why.
 */
int conf_tokenize(const char *line, size_t len, char *store, size_t cap,
    const char *argv[CONF_MAX_TOKENS + 1], unsigned *argc, const char **why);

/* Helpers for handlers and printers. */

/* "FILE:LINE: " + message; returns ERR_CONFIG. */
int conf_errf(struct conf_err *err, const struct conf_line *line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "FILE: " + message, for whole-file checks; returns ERR_CONFIG. */
int conf_errf_file(struct conf_err *err, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* argv[i] as a decimal number in [min, max] (digits only); else
 * "NAME: 'X' is not a number (min-max)". */
int conf_arg_u32(const struct conf_line *line, unsigned i, uint32_t min, uint32_t max, uint32_t *out,
    struct conf_err *err);
/* argv[i] as a port: "NAME: 'X' is not a port number (1-65535)". */
int conf_arg_port(const struct conf_line *line, unsigned i, uint16_t *out, struct conf_err *err);
/* Print a token so that conf_tokenize() gives it back unchanged: bare when
 * safe, else in double quotes with \\ and \" escaped. */
void conf_print_token(FILE *f, const char *s);
/* Call every non-NULL printer in table order. */
void conf_print_table(FILE *f, const struct conf_directive *table, size_t n, const void *obj);

#endif
