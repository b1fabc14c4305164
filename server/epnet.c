/*
 * epnet.c - the endpoint's networks: route table, authorization rules and
 * the kernel state behind them (see epnet.h).
 *
 * Invariants:
 *  - The kernel table `n->table` holds exactly one route per active rtable
 *    entry that can be installed (its target is up), plus the unreachable
 *    defaults at the largest metric, which keep client traffic that matches
 *    no endpoint route from falling through to the host's main table.
 *    sync_prefix() restores that invariant for one prefix after any change;
 *    full_sync() for all of them (start, reload, lost notifications).
 *  - Routes are installed with NLM_F_REPLACE and stale ones removed after,
 *    so a reload never opens a window in which a client prefix has no
 *    route in our table (the policy rule would then fall through to main).
 *  - Learned routes come only from the main table, only on learn-routes
 *    devices, never connected (proto kernel) routes, never inside the
 *    client CIDR; what we install in our own table is never re-learned.
 *  - A device that goes down loses its learned routes at once (the kernel
 *    drops IPv4 routes silently); its config routes stay in the table and
 *    are reinstalled when it comes back, under its new ifindex if it was
 *    recreated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "epnet.h"
#include "err.h"
#include "log.h"
#include "nat.h"
#include "rtnl.h"

enum {
	METRIC_UNREACHABLE = 0xffffffffu,
	MAX_DIRTY = 4096,                  /* prefixes re-synced one by one; more = full sync */
};

struct target {
	char name[CONF_NAME_MAX];
	char dev[16];
	unsigned ifindex;                  /* 0 = device missing */
	bool up;
	bool nat, learn;
	struct addr via;
};

struct epnet {
	bool on;
	struct rtable *rt;
	struct authz *az;
	struct rtnl *rtnl;
	struct rtnl_mon *mon;
	struct nat *nat;
	uint32_t table;
	struct prefix cidr4, cidr6;
	bool has6;
	char tun_name[16];
	unsigned tun_ifindex;
	struct target t[CONF_MAX_TARGETS];
	unsigned n_t;
	int split_default;                 /* 1 = split tunnel */
	struct { uint64_t bit; bool on; } split[CONF_MAX_SPLIT];
	unsigned n_split;
	struct addr dns[CONF_MAX_DNS];
	unsigned n_dns;
	bool fwd4_set, fwd6_set;           /* we switched forwarding on: switch it off at exit */
	struct log_rl rl;
	/* PUSH scratch (epnet_push) */
	char line[EPNET_PUSH_MAX][EPNET_PUSH_LEN];
	const char *lp[EPNET_PUSH_MAX];
	unsigned n_line;
	bool push_truncated;
};

/* ---- small helpers ---- */

static bool
prefix_inside(const struct prefix *outer, const struct prefix *p)
{
	return p->a.family == outer->a.family && p->len >= outer->len &&
	    prefix_contains(outer, &p->a);
}

static void
fmt_prefix(const struct prefix *p, char *s, size_t cap)
{
	if (prefix_format(p, s, cap) != 0)
		snprintf(s, cap, "?");
}

static int
sysctl_get(const char *path, char *v, size_t cap)
{
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ERR_SYS;
	k = read(fd, v, cap - 1);
	close(fd);
	if (k <= 0)
		return ERR_SYS;
	v[k] = '\0';
	return 0;
}

static int
sysctl_set(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return ERR_SYS;
	if (write(fd, v, strlen(v)) != (ssize_t)strlen(v))
		r = ERR_SYS;
	close(fd);
	return r;
}

static const char fwd4_path[] = "/proc/sys/net/ipv4/ip_forward";
static const char fwd6_path[] = "/proc/sys/net/ipv6/conf/all/forwarding";

/* Forwarding must be on for client traffic to leave through a target. */
static int
forwarding_on(const char *path, bool *changed)
{
	char v[8];

	*changed = false;
	if (sysctl_get(path, v, sizeof(v)) != 0) {
		log_err("cannot read %s: %s", path, strerror(errno));
		return ERR_SYS;
	}
	if (v[0] == '1')
		return 0;
	if (sysctl_set(path, "1") != 0) {
		log_err("cannot enable forwarding (%s): %s", path, strerror(errno));
		return ERR_SYS;
	}
	log_info("enabled forwarding (%s); it is switched off again at exit", path);
	*changed = true;
	return 0;
}

/* ---- kernel routes ---- */

/* Dump callbacks must not send requests on the socket whose reply they are
 * reading: routes and rules are collected first, then acted on. */
struct route_list {
	struct rtnl_route *v;
	size_t n, cap;
	bool nomem;
};

static int
collect_route(const struct rtnl_route *kr, void *arg)
{
	struct route_list *l = arg;
	struct rtnl_route *nv;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;

		if ((nv = realloc(l->v, cap * sizeof(*nv))) == NULL) {
			l->nomem = true;
			return 1;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = *kr;
	return 0;
}

static int
dump_routes(struct epnet *n, uint32_t table, struct route_list *l)
{
	int r;

	memset(l, 0, sizeof(*l));
	r = rtnl_route_dump(n->rtnl, AF_UNSPEC, table, collect_route, l);
	if (l->nomem)
		r = ERR_NOMEM;
	if (r != 0) {
		free(l->v);
		memset(l, 0, sizeof(*l));
	}
	return r;
}

static const struct target *
target_of(const struct epnet *n, const struct rt_entry *e)
{
	return e->target == RT_TARGET_NET && e->net < n->n_t ? &n->t[e->net] : NULL;
}

/* The kernel route for an active entry; false when it cannot be
 * installed now (its device is missing or down). */
static bool
kernel_route(const struct epnet *n, const struct rt_entry *e, struct rtnl_route *kr)
{
	const struct target *t;

	memset(kr, 0, sizeof(*kr));
	kr->dst = e->dst;
	kr->table = n->table;
	kr->type = RTN_UNICAST;
	switch (e->target) {
	case RT_TARGET_NET:
		if ((t = target_of(n, e)) == NULL || t->ifindex == 0 || !t->up)
			return false;
		kr->oif = t->ifindex;
		if (e->gw.family == e->dst.a.family)
			kr->gw = e->gw;
		else if (t->via.family == e->dst.a.family)
			kr->gw = t->via;
		return true;
	case RT_TARGET_LOCAL:
	case RT_TARGET_CLIENT:
		kr->oif = n->tun_ifindex;
		return true;
	case RT_TARGET_BLACKHOLE:
		kr->type = RTN_BLACKHOLE;
		return true;
	}
	return false;
}

static void
kernel_del(struct epnet *n, const struct prefix *p)
{
	struct rtnl_route kr;
	int r;

	memset(&kr, 0, sizeof(kr));
	kr.dst = *p;
	kr.table = n->table;
	kr.type = RTN_UNICAST;
	r = rtnl_route_del2(n->rtnl, &kr);
	if (r != 0 && errno != ESRCH && errno != ENOENT) {
		char s[PREFIX_STR_MAX];

		fmt_prefix(p, s, sizeof(s));
		log_warnx("cannot remove route %s from table %u: %s", s, n->table,
		    rtnl_errmsg(n->rtnl)[0] ? rtnl_errmsg(n->rtnl) : strerror(errno));
	}
}

/* "to P lookup TABLE" for a network behind a client: replies from target
 * networks reach it through our table, not main. */
static void
iroute_rule(struct epnet *n, const struct prefix *p, bool add)
{
	struct rtnl_rule rule;
	char s[PREFIX_STR_MAX];
	int r;

	memset(&rule, 0, sizeof(rule));
	rule.src.a.family = p->a.family;     /* from all ... */
	rule.dst = *p;                       /* ... to the network behind the client */
	rule.table = n->table;
	rule.priority = n->table;
	r = add ? rtnl_rule_add(n->rtnl, &rule) : rtnl_rule_del(n->rtnl, &rule);
	if (r != 0 && !(add && errno == EEXIST) && !(!add && errno == ENOENT)) {
		fmt_prefix(p, s, sizeof(s));
		log_warnx("cannot %s rule \"to %s lookup %u\": %s", add ? "add" : "remove", s,
		    n->table, strerror(errno));
	}
}

/* Make the kernel's route for p match the table's active entry for p. */
static void
sync_prefix(struct epnet *n, const struct prefix *p)
{
	const struct rt_entry *e = rt_exact(n->rt, p);
	struct rtnl_route kr;
	char s[PREFIX_STR_MAX];

	if (e == NULL || !kernel_route(n, e, &kr)) {
		kernel_del(n, p);
		return;
	}
	if (rtnl_route_add2(n->rtnl, &kr, true) != 0) {
		fmt_prefix(p, s, sizeof(s));
		log_warnx("cannot install route %s in table %u: %s", s, n->table,
		    rtnl_errmsg(n->rtnl)[0] ? rtnl_errmsg(n->rtnl) : strerror(errno));
	}
}

static int
install_one(const struct rt_entry *e, bool active, void *arg)
{
	struct epnet *n = arg;

	if (active)
		sync_prefix(n, &e->dst);
	return 0;
}

static void
remove_stale(struct epnet *n, const struct rtnl_route *kr)
{
	const struct rt_entry *e;
	struct rtnl_route want;

	if (kr->table != n->table)
		return;
	if (kr->type == RTN_UNREACHABLE && kr->dst.len == 0 && kr->metric == METRIC_UNREACHABLE)
		return;
	e = rt_exact(n->rt, &kr->dst);
	if (e != NULL && kernel_route(n, e, &want))
		return;
	kernel_del(n, &kr->dst);
}

static int
add_unreachable(struct epnet *n, int family)
{
	struct rtnl_route kr;

	memset(&kr, 0, sizeof(kr));
	kr.dst.a.family = (uint8_t)family;
	kr.table = n->table;
	kr.type = RTN_UNREACHABLE;
	kr.metric = METRIC_UNREACHABLE;
	if (rtnl_route_add2(n->rtnl, &kr, true) != 0) {
		log_err("cannot add the unreachable default to table %u: %s", n->table,
		    rtnl_errmsg(n->rtnl)[0] ? rtnl_errmsg(n->rtnl) : strerror(errno));
		return ERR_SYS;
	}
	return 0;
}

/* Install every active entry (replace), then drop what should not be there. */
static int
full_sync(struct epnet *n)
{
	int r;

	if ((r = add_unreachable(n, AF_INET)) != 0 || (n->has6 && (r = add_unreachable(n,
	    AF_INET6)) != 0))
		return r;
	struct route_list l;
	size_t i;

	rt_walk(n->rt, install_one, n);
	if ((r = dump_routes(n, n->table, &l)) != 0)
		return r;
	for (i = 0; i < l.n; i++)
		remove_stale(n, &l.v[i]);
	free(l.v);
	return 0;
}

/* ---- clearing what a previous run left, and teardown ---- */

struct rule_list {
	struct rtnl_rule v[64];
	size_t n;
	uint32_t table;
};

static int
collect_rule(const struct rtnl_rule *rule, void *arg)
{
	struct rule_list *l = arg;

	if (rule->table == l->table && l->n < sizeof(l->v) / sizeof(l->v[0]))
		l->v[l->n++] = *rule;
	return 0;
}

static void
kernel_clear_rules(struct epnet *n)
{
	struct rule_list *l;
	size_t i;

	/* batches of 64: a crash may have left many "to IROUTE" rules */
	if ((l = calloc(1, sizeof(*l))) != NULL) {
		l->table = n->table;
		do {
			l->n = 0;
			rtnl_rule_dump(n->rtnl, AF_UNSPEC, collect_rule, l);
			for (i = 0; i < l->n; i++)
				if (rtnl_rule_del(n->rtnl, &l->v[i]) != 0 && errno != ENOENT) {
					log_warnx("cannot remove a policy rule to table %u: %s",
					    n->table, strerror(errno));
					l->n = 0;
					break;
				}
		} while (l->n == sizeof(l->v) / sizeof(l->v[0]));
		free(l);
	}
}

static void
kernel_clear(struct epnet *n)
{
	unsigned k = 0;

	kernel_clear_rules(n);
	if (rtnl_route_flush_table(n->rtnl, n->table, &k) != 0)
		log_warnx("cannot flush routing table %u: %s", n->table, strerror(errno));
}

static int
add_from_rule(struct epnet *n, const struct prefix *cidr)
{
	struct rtnl_rule rule;
	char s[PREFIX_STR_MAX];

	memset(&rule, 0, sizeof(rule));
	rule.src = *cidr;
	rule.table = n->table;
	rule.priority = n->table;
	if (rtnl_rule_add(n->rtnl, &rule) != 0 && errno != EEXIST) {
		fmt_prefix(cidr, s, sizeof(s));
		log_err("cannot add policy rule \"from %s lookup %u\": %s", s, n->table,
		    strerror(errno));
		return ERR_SYS;
	}
	return 0;
}

/* ---- building from the config ---- */

static int
resolve_target(struct target *t)
{
	unsigned idx = 0;

	if (rtnl_link_index(t->dev, &idx) != 0) {
		t->ifindex = 0;
		t->up = false;
		return ERR_NOTFOUND;
	}
	t->ifindex = idx;
	t->up = true;      /* corrected by the first link notification if not */
	return 0;
}

static int
load_conf(struct epnet *n, const struct server_conf *c, struct rtable *rt, struct authz *az,
	  uint64_t now)
{
	struct rt_entry e;
	unsigned i;
	int r;

	n->n_t = c->n_targets;
	for (i = 0; i < c->n_targets; i++) {
		struct target *t = &n->t[i];

		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", c->targets[i].name);
		snprintf(t->dev, sizeof(t->dev), "%s", c->targets[i].dev);
		t->nat = c->targets[i].mode == CONF_TARGET_NAT;
		t->learn = c->targets[i].learn;
		t->via = c->targets[i].via;
		if (resolve_target(t) != 0) {
			log_err("target-network %s: device %s does not exist", t->name, t->dev);
			return ERR_NOTFOUND;
		}
	}
	memset(&e, 0, sizeof(e));
	e.origin = RT_ORIGIN_CONFIG;
	e.since = now;
	e.target = RT_TARGET_LOCAL;
	e.dst = c->server_net;
	snprintf(e.desc, sizeof(e.desc), "client CIDR");
	if ((r = rt_add(rt, &e)) != 0)
		return r;
	if (c->has_server_ipv6) {
		e.dst = c->server_net6;
		if ((r = rt_add(rt, &e)) != 0)
			return r;
	}
	for (i = 0; i < c->n_ep_routes; i++) {
		const struct conf_ep_route *cr = &c->ep_routes[i];

		memset(&e, 0, sizeof(e));
		e.dst = cr->dst;
		e.origin = RT_ORIGIN_CONFIG;
		e.since = now;
		e.kind = (enum rt_kind)cr->kind;
		snprintf(e.desc, sizeof(e.desc), "%s", cr->desc);
		if (cr->target < 0) {
			e.target = RT_TARGET_BLACKHOLE;
		} else {
			e.target = RT_TARGET_NET;
			e.net = (unsigned)cr->target;
		}
		if ((r = rt_add(rt, &e)) != 0)
			return r;
	}
	for (i = 0; i < c->n_authz; i++) {
		const struct conf_authz *z = &c->authz[i];

		if ((r = authz_add(az, &z->dst, z->group[0] ? z->group : NULL, z->deny,
		    z->desc)) != 0) {
			log_err("authorize rule %u: %s", i + 1, err_str(r));
			return r;
		}
	}
	n->n_split = 0;
	for (i = 0; i < c->n_split_groups; i++) {
		unsigned idx;

		if (authz_group_add(az, c->split_groups[i].group, &idx) != 0)
			continue;
		n->split[n->n_split].bit = authz_group_bit(az, c->split_groups[i].group);
		n->split[n->n_split++].on = c->split_groups[i].on;
	}
	n->split_default = c->split_tunnel == 1;
	n->n_dns = c->n_dns;
	memcpy(n->dns, c->dns, sizeof(n->dns));
	return 0;
}

/* ---- learning routes (learn-routes) ---- */

static int
target_by_ifindex(const struct epnet *n, unsigned ifindex)
{
	unsigned i;

	for (i = 0; i < n->n_t; i++)
		if (n->t[i].ifindex == ifindex && ifindex != 0)
			return (int)i;
	return -1;
}

static bool
learnable(const struct epnet *n, const struct rtnl_route *kr, int *ti)
{
	static const uint8_t ll[2] = { 0xfe, 0x80 };

	if (kr->table != RT_TABLE_MAIN || kr->type != RTN_UNICAST || kr->protocol == RTPROT_KERNEL)
		return false;
	if ((*ti = target_by_ifindex(n, kr->oif)) < 0 || !n->t[*ti].learn)
		return false;
	if (kr->dst.a.family == AF_INET6 && (kr->dst.a.b[0] == 0xff ||
	    (memcmp(kr->dst.a.b, ll, 2) == 0 && kr->dst.len >= 10)))
		return false;
	if (kr->dst.a.family == AF_INET6 && !n->has6)
		return false;
	if (prefix_inside(&n->cidr4, &kr->dst) || (n->has6 && prefix_inside(&n->cidr6, &kr->dst)))
		return false;
	return true;
}

static void
learn_add(struct epnet *n, const struct rtnl_route *kr, int ti, uint64_t now, bool quiet)
{
	struct rt_entry e;
	char s[PREFIX_STR_MAX], gw[ADDR_STR_MAX] = "";
	int r;

	memset(&e, 0, sizeof(e));
	e.dst = kr->dst;
	e.target = RT_TARGET_NET;
	e.net = (unsigned)ti;
	e.origin = RT_ORIGIN_LEARNED;
	e.gw = kr->gw;
	e.since = now;
	snprintf(e.desc, sizeof(e.desc), "learned (protocol %u)", kr->protocol);
	rt_del(n->rt, &e);        /* a changed next hop replaces the old one */
	if ((r = rt_add(n->rt, &e)) != 0) {
		log_warnx("learn-routes %s: cannot add a route: %s", n->t[ti].name, err_str(r));
		return;
	}
	if (!quiet) {
		fmt_prefix(&kr->dst, s, sizeof(s));
		if (kr->gw.family != 0)
			addr_format(&kr->gw, gw, sizeof(gw));
		log_rl_msg(&n->rl, now * 1000000, LL_INFO, "learned route %s%s%s on %s (%s, protocol %u)",
		    s, gw[0] ? " via " : "", gw, n->t[ti].dev, n->t[ti].name, kr->protocol);
	}
	sync_prefix(n, &kr->dst);
}

static void
learn_del(struct epnet *n, const struct rtnl_route *kr, int ti, uint64_t now)
{
	struct rt_entry e;
	char s[PREFIX_STR_MAX];

	memset(&e, 0, sizeof(e));
	e.dst = kr->dst;
	e.target = RT_TARGET_NET;
	e.net = (unsigned)ti;
	e.origin = RT_ORIGIN_LEARNED;
	if (rt_del(n->rt, &e) != 0)
		return;
	fmt_prefix(&kr->dst, s, sizeof(s));
	log_rl_msg(&n->rl, now * 1000000, LL_INFO, "withdrew learned route %s (%s)", s,
	    n->t[ti].name);
	sync_prefix(n, &kr->dst);
}

static int
learn_initial(struct epnet *n, int only, uint64_t now)
{
	struct route_list l;
	unsigned count = 0;
	size_t i;
	int r, ti;

	if ((r = dump_routes(n, RT_TABLE_MAIN, &l)) != 0)
		return r;
	for (i = 0; i < l.n; i++) {
		if (!learnable(n, &l.v[i], &ti) || (only >= 0 && ti != only))
			continue;
		learn_add(n, &l.v[i], ti, now, true);
		count++;
	}
	free(l.v);
	if (count > 0)
		log_info("learn-routes: %u route(s) learned from the kernel", count);
	return 0;
}

struct where_net {
	struct epnet *n;
	int net;                      /* -1: every learned route */
	struct prefix *gone;
	unsigned n_gone, cap;
	bool overflow;
};

static bool
learned_of(const struct rt_entry *e, void *arg)
{
	struct where_net *w = arg;

	if (e->origin != RT_ORIGIN_LEARNED || (w->net >= 0 && e->net != (unsigned)w->net))
		return false;
	if (w->n_gone < w->cap)
		w->gone[w->n_gone++] = e->dst;
	else
		w->overflow = true;
	return true;
}

/* Forget learned routes (of one target, or all) and fix the kernel table. */
static void
forget_learned(struct epnet *n, int net)
{
	struct where_net w = { n, net, NULL, 0, MAX_DIRTY, false };
	unsigned i, k;

	w.gone = calloc(MAX_DIRTY, sizeof(*w.gone));
	if (w.gone == NULL)
		w.cap = 0;
	k = rt_del_where(n->rt, learned_of, &w);
	if (w.overflow || w.gone == NULL)
		full_sync(n);
	else
		for (i = 0; i < w.n_gone; i++)
			sync_prefix(n, &w.gone[i]);
	free(w.gone);
	if (k > 0)
		log_info("withdrew %u learned route(s)%s%s", k, net >= 0 ? " of " : "",
		    net >= 0 ? n->t[net].name : "");
}

static bool
entry_of_target(const struct rt_entry *e, void *arg)
{
	return e->target == RT_TARGET_NET && e->net == *(unsigned *)arg;
}

struct walk_net {
	struct epnet *n;
	unsigned net;
};

static int
resync_target_cb(const struct rt_entry *e, bool active, void *arg)
{
	struct walk_net *w = arg;

	if (active && entry_of_target(e, &w->net))
		sync_prefix(w->n, &e->dst);
	return 0;
}

static void
on_link(struct epnet *n, const struct rtnl_event *ev, uint64_t now)
{
	unsigned i;

	for (i = 0; i < n->n_t; i++) {
		struct target *t = &n->t[i];
		bool match = t->ifindex == ev->ifindex ||
		    (ev->ifname[0] != '\0' && strcmp(ev->ifname, t->dev) == 0);
		bool was_up = t->up && t->ifindex != 0;
		struct walk_net w = { n, i };

		if (!match)
			continue;
		if (ev->gone || !ev->up) {
			if (ev->gone && t->ifindex != ev->ifindex)
				continue;    /* an old index of a device recreated since */
			t->up = false;
			if (ev->gone)
				t->ifindex = 0;
			if (was_up)
				log_warnx("target-network %s: device %s is %s; its routes are "
				    "withdrawn until it returns", t->name, t->dev,
				    ev->gone ? "gone" : "down");
			forget_learned(n, (int)i);
			rt_walk(n->rt, resync_target_cb, &w);
			continue;
		}
		if (was_up && t->ifindex == ev->ifindex)
			continue;
		t->ifindex = ev->ifindex;
		t->up = true;
		log_info("target-network %s: device %s is up (index %u); reinstalling its routes",
		    t->name, t->dev, t->ifindex);
		rt_walk(n->rt, resync_target_cb, &w);
		if (t->learn)
			learn_initial(n, (int)i, now);
	}
}

struct ev_ctx {
	struct epnet *n;
	uint64_t now;
};

static void
on_event(const struct rtnl_event *ev, void *arg)
{
	struct ev_ctx *x = arg;
	int ti;

	switch (ev->kind) {
	case RTNL_EV_ROUTE_ADD:
		if (learnable(x->n, &ev->route, &ti))
			learn_add(x->n, &ev->route, ti, x->now, false);
		break;
	case RTNL_EV_ROUTE_DEL:
		if (learnable(x->n, &ev->route, &ti))
			learn_del(x->n, &ev->route, ti, x->now);
		break;
	case RTNL_EV_LINK:
		on_link(x->n, ev, x->now);
		break;
	}
}

void
epnet_mon_ready(struct epnet *n, uint64_t now)
{
	struct ev_ctx x = { n, now };

	if (n->mon == NULL)
		return;
	if (rtnl_mon_read(n->mon, on_event, &x) == ERR_OVERFLOW) {
		log_warnx("route notifications were lost; re-reading the kernel's routes");
		forget_learned(n, -1);
		learn_initial(n, -1, now);
		full_sync(n);
	}
}

int
epnet_mon_fd(const struct epnet *n)
{
	return n != NULL && n->mon != NULL ? rtnl_mon_fd(n->mon) : -1;
}

/* ---- NAT ---- */

static int
apply_nat(struct epnet *n)
{
	struct nat_rule rules[CONF_MAX_TARGETS];
	char err[256];
	size_t k = 0;
	unsigned i;

	memset(rules, 0, sizeof(rules));
	for (i = 0; i < n->n_t; i++) {
		if (!n->t[i].nat)
			continue;
		rules[k].from = n->cidr4;
		snprintf(rules[k].oifname, sizeof(rules[k].oifname), "%s", n->t[i].dev);
		k++;
	}
	if (nat_apply(n->nat, rules, k, err, sizeof(err)) != 0) {
		log_err("nftables: cannot install the NAT table: %s", err);
		return ERR_SYS;
	}
	if (k > 0)
		log_info("NAT: clients leave through %zu target network(s) with the interface's "
		    "address", k);
	return 0;
}

/* ---- life cycle ---- */

static void
kernel_teardown(struct epnet *n)
{
	char err[256];

	if (n->nat != NULL && nat_remove(n->nat, err, sizeof(err)) != 0)
		log_warnx("nftables: cannot remove our table: %s", err);
	if (n->rtnl != NULL)
		kernel_clear(n);
	if (n->fwd4_set && sysctl_set(fwd4_path, "0") != 0)
		log_warnx("cannot restore %s", fwd4_path);
	if (n->fwd6_set && sysctl_set(fwd6_path, "0") != 0)
		log_warnx("cannot restore %s", fwd6_path);
	n->fwd4_set = n->fwd6_set = false;
}

int
epnet_new(const struct server_conf *c, const struct epnet_tun *tun, struct rtnl *rtnl,
	  uint64_t now, struct epnet **out)
{
	struct epnet *n;
	char tname[NAT_TABLE_MAX];
	bool any_learn = false;
	unsigned i;
	int r = ERR_NOMEM;

	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return ERR_NOMEM;
	log_rl_init(&n->rl, 20, 100);
	n->on = c->endpoint;
	n->table = c->ep_table;
	n->cidr4 = c->server_net;
	n->has6 = c->has_server_ipv6;
	if (n->has6)
		n->cidr6 = c->server_net6;
	snprintf(n->tun_name, sizeof(n->tun_name), "%s", tun->name);
	n->tun_ifindex = tun->ifindex;
	n->rtnl = rtnl;
	if ((n->rt = rt_new()) == NULL || (n->az = authz_new()) == NULL)
		goto fail;
	if ((r = load_conf(n, c, n->rt, n->az, now)) != 0)
		goto fail;
	if (!n->on) {
		*out = n;
		return 0;
	}
	if (c->n_authz == 0)
		log_warnx("no 'authorize' rules: with target networks configured, clients may "
		    "reach nothing (default deny)");
	snprintf(tname, sizeof(tname), "ovpn_endpoint_%u", n->table);
	if ((r = nat_open(&n->nat, tname)) != 0)
		goto fail;
	/* a crash leaves rules and routes behind: start clean */
	kernel_clear(n);
	if ((r = forwarding_on(fwd4_path, &n->fwd4_set)) != 0 ||
	    (n->has6 && (r = forwarding_on(fwd6_path, &n->fwd6_set)) != 0))
		goto fail;
	for (i = 0; i < n->n_t; i++)
		any_learn |= n->t[i].learn;
	if (any_learn) {
		/* subscribe before the dump, so nothing falls between them */
		if ((r = rtnl_mon_open(&n->mon, RTNL_MON_ROUTE4 | RTNL_MON_ROUTE6 |
		    RTNL_MON_LINK)) != 0) {
			log_err("cannot open a route notification socket: %s", err_str(r));
			goto fail;
		}
		if ((r = learn_initial(n, -1, now)) != 0) {
			log_err("cannot read the kernel's routes: %s", err_str(r));
			goto fail;
		}
	} else if ((r = rtnl_mon_open(&n->mon, RTNL_MON_LINK)) != 0) {
		/* link events still matter: routes return when a device does */
		log_err("cannot open a link notification socket: %s", err_str(r));
		goto fail;
	}
	if ((r = full_sync(n)) != 0 || (r = add_from_rule(n, &n->cidr4)) != 0 ||
	    (n->has6 && (r = add_from_rule(n, &n->cidr6)) != 0) || (r = apply_nat(n)) != 0)
		goto fail;
	log_info("endpoint: %zu route(s) in table %u, %zu authorization rule(s), %u target "
	    "network(s)", rt_count(n->rt), n->table, authz_count(n->az), n->n_t);
	*out = n;
	return 0;
fail:
	epnet_free(n);
	return r != 0 ? r : ERR_SYS;
}

void
epnet_free(struct epnet *n)
{
	if (n == NULL)
		return;
	if (n->on)
		kernel_teardown(n);
	rtnl_mon_close(n->mon);
	nat_close(n->nat);
	rt_free(n->rt);
	authz_free(n->az);
	free(n);
}

struct carry {
	struct rtable *to;
};

static int
carry_dynamic(const struct rt_entry *e, bool active, void *arg)
{
	struct carry *c = arg;

	if (e->origin != RT_ORIGIN_CONFIG)
		rt_add(c->to, e);
	return 0;
}

int
epnet_reload(struct epnet *n, const struct server_conf *c, uint64_t now)
{
	struct epnet tmp;
	struct rtable *rt;
	struct authz *az;
	struct carry cy;
	int r;

	bool cidr_changed = !prefix_eq(&c->server_net, &n->cidr4) ||
	    c->has_server_ipv6 != n->has6 || (n->has6 && !prefix_eq(&c->server_net6, &n->cidr6));

	if (c->endpoint != n->on || c->ep_table != n->table) {
		log_warnx("reload: turning the endpoint on or off, or changing endpoint-table, "
		    "needs a restart; keeping the running network config");
		return ERR_INVAL;
	}
	if ((rt = rt_new()) == NULL || (az = authz_new()) == NULL) {
		rt_free(rt);
		return ERR_NOMEM;
	}
	memcpy(&tmp, n, sizeof(tmp));
	if ((r = load_conf(&tmp, c, rt, az, now)) != 0) {
		rt_free(rt);
		authz_free(az);
		return r;
	}
	cy.to = rt;
	rt_walk(n->rt, carry_dynamic, &cy);
	authz_carry_counters(az, n->az);
	/* commit */
	memcpy(n->t, tmp.t, sizeof(n->t));
	n->n_t = tmp.n_t;
	memcpy(n->split, tmp.split, sizeof(n->split));
	n->n_split = tmp.n_split;
	n->split_default = tmp.split_default;
	memcpy(n->dns, tmp.dns, sizeof(n->dns));
	n->n_dns = tmp.n_dns;
	rt_free(n->rt);
	authz_free(n->az);
	n->rt = rt;
	n->az = az;
	if (cidr_changed && n->on) {
		/* the policy rules follow the new client network */
		kernel_clear_rules(n);
		n->cidr4 = c->server_net;
		n->has6 = c->has_server_ipv6;
		if (n->has6)
			n->cidr6 = c->server_net6;
		add_from_rule(n, &n->cidr4);
		if (n->has6)
			add_from_rule(n, &n->cidr6);
	} else if (cidr_changed) {
		n->cidr4 = c->server_net;
		n->has6 = c->has_server_ipv6;
		n->cidr6 = c->server_net6;
	}
	if (!n->on)
		return 0;
	full_sync(n);
	apply_nat(n);
	log_info("endpoint reloaded: %zu route(s), %zu authorization rule(s)", rt_count(n->rt),
	    authz_count(n->az));
	return 0;
}

/* ---- per client ---- */

bool
epnet_on(const struct epnet *n)
{
	return n != NULL && n->on;
}

uint64_t
epnet_groups(const struct epnet *n, const char *const *names, unsigned count)
{
	uint64_t m = 0;
	unsigned i;

	for (i = 0; i < count; i++)
		m |= authz_group_bit(n->az, names[i]);
	return m;
}

bool
epnet_allow(struct epnet *n, uint64_t groups, const struct addr *dst)
{
	if (!n->on)
		return true;
	return authz_check(n->az, groups, dst, NULL) == AUTHZ_ALLOW;
}

bool
epnet_client_for(const struct epnet *n, const struct addr *dst, uint32_t *peer_id)
{
	const struct rt_entry *e = rt_lookup(n->rt, dst);

	if (e == NULL || e->target != RT_TARGET_CLIENT)
		return false;
	*peer_id = e->peer_id;
	return true;
}

int
epnet_client_add(struct epnet *n, uint32_t peer_id, const char *cn,
		 const struct prefix *iroutes, unsigned count, uint64_t now)
{
	struct rt_entry e;
	const struct rt_entry *have;
	char s[PREFIX_STR_MAX];
	unsigned i;

	for (i = 0; i < count; i++) {
		fmt_prefix(&iroutes[i], s, sizeof(s));
		have = rt_exact(n->rt, &iroutes[i]);
		if (have != NULL && have->target == RT_TARGET_CLIENT && have->peer_id != peer_id) {
			log_warnx("peer %u (%s): iroute %s is already behind peer %u; ignored",
			    peer_id, cn, s, have->peer_id);
			continue;
		}
		if (prefix_inside(&n->cidr4, &iroutes[i]) ||
		    (n->has6 && prefix_inside(&n->cidr6, &iroutes[i]))) {
			log_warnx("peer %u (%s): iroute %s lies inside the client CIDR; ignored",
			    peer_id, cn, s);
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.dst = iroutes[i];
		e.target = RT_TARGET_CLIENT;
		e.peer_id = peer_id;
		e.origin = RT_ORIGIN_CLIENT;
		e.since = now;
		snprintf(e.desc, sizeof(e.desc), "behind %s", cn);
		if (rt_add(n->rt, &e) != 0)
			continue;
		log_info("peer %u (%s): network %s lives behind this client", peer_id, cn, s);
		if (n->on) {
			sync_prefix(n, &e.dst);
			iroute_rule(n, &e.dst, true);
		}
	}
	return 0;
}

struct peer_where {
	uint32_t peer_id;
	struct prefix gone[64];
	unsigned n;
};

static bool
of_peer(const struct rt_entry *e, void *arg)
{
	struct peer_where *w = arg;

	if (e->target != RT_TARGET_CLIENT || e->peer_id != w->peer_id)
		return false;
	if (w->n < sizeof(w->gone) / sizeof(w->gone[0]))
		w->gone[w->n++] = e->dst;
	return true;
}

void
epnet_client_del(struct epnet *n, uint32_t peer_id)
{
	struct peer_where w;
	unsigned i;

	if (n == NULL)
		return;
	w.peer_id = peer_id;
	w.n = 0;
	if (rt_del_where(n->rt, of_peer, &w) == 0 || !n->on)
		return;
	for (i = 0; i < w.n; i++) {
		iroute_rule(n, &w.gone[i], false);
		sync_prefix(n, &w.gone[i]);
	}
}

/* ---- PUSH ---- */

static void
push_line(struct epnet *n, const char *s)
{
	unsigned i;

	for (i = 0; i < n->n_line; i++)
		if (strcmp(n->line[i], s) == 0)
			return;
	if (n->n_line >= EPNET_PUSH_MAX) {
		n->push_truncated = true;
		return;
	}
	snprintf(n->line[n->n_line], EPNET_PUSH_LEN, "%s", s);
	n->lp[n->n_line] = n->line[n->n_line];
	n->n_line++;
}

static int
push_prefix(const struct prefix *p, void *arg)
{
	struct epnet *n = arg;
	char s[2 * ADDR_STR_MAX + 16], a[ADDR_STR_MAX], m[ADDR_STR_MAX];
	struct addr mask;

	if (p->a.family == AF_INET) {
		if (p->len == 0) {
			push_line(n, "redirect-gateway def1");
			return 0;
		}
		addr_netmask_from_len(p->len, &mask);
		addr_format(&p->a, a, sizeof(a));
		addr_format(&mask, m, sizeof(m));
		snprintf(s, sizeof(s), "route %s %s", a, m);
	} else {
		if (p->len == 0) {
			push_line(n, "route-ipv6 2000::/3");   /* all global unicast */
			return 0;
		}
		fmt_prefix(p, a, sizeof(a));
		snprintf(s, sizeof(s), "route-ipv6 %s", a);
	}
	push_line(n, s);
	return 0;
}

struct push_walk {
	struct epnet *n;
	uint64_t groups;
	bool has6;
};

static int
push_route_cb(const struct rt_entry *e, bool active, void *arg)
{
	struct push_walk *w = arg;
	unsigned room;

	if (!active || e->target == RT_TARGET_LOCAL || e->target == RT_TARGET_BLACKHOLE)
		return 0;
	if (e->dst.a.family == AF_INET6 && !w->has6)
		return 0;
	room = EPNET_PUSH_MAX - w->n->n_line;
	if (authz_allowed_within(w->n->az, w->groups, &e->dst, room, push_prefix, w->n) ==
	    ERR_OVERFLOW)
		w->n->push_truncated = true;
	return 0;
}

void
epnet_push(struct epnet *n, uint64_t groups, bool has6, struct push_input *in)
{
	struct push_walk w = { n, groups, has6 };
	char s[ADDR_STR_MAX + 24], a[ADDR_STR_MAX];
	bool split = n->split_default;
	unsigned i;

	n->n_line = 0;
	n->push_truncated = false;
	if (!n->on)
		return;
	for (i = 0; i < n->n_split; i++) {
		if (groups & n->split[i].bit) {
			split = n->split[i].on;
			break;
		}
	}
	if (split) {
		rt_walk(n->rt, push_route_cb, &w);
	} else {
		push_line(n, "redirect-gateway def1");
		if (has6)
			push_line(n, "route-ipv6 2000::/3");
	}
	for (i = 0; i < n->n_dns; i++) {
		if (n->dns[i].family == AF_INET6 && !has6)
			continue;
		addr_format(&n->dns[i], a, sizeof(a));
		snprintf(s, sizeof(s), "dhcp-option %s %s", n->dns[i].family == AF_INET ? "DNS" :
		    "DNS6", a);
		push_line(n, s);
	}
	if (n->push_truncated)
		log_warnx("more than %u routes to push: the list is cut short; consider fewer, "
		    "wider routes", (unsigned)EPNET_PUSH_MAX);
	in->ep_push = n->lp;
	in->n_ep_push = n->n_line;
}

void
epnet_push_append(struct epnet *n, const char *opt, struct push_input *in)
{
	if (n->n_line >= EPNET_PUSH_MAX)
		return;
	n->lp[n->n_line++] = opt;
	in->ep_push = n->lp;
	in->n_ep_push = n->n_line;
}

/* ---- views ---- */

const struct rtable *
epnet_rtable(const struct epnet *n)
{
	return n->rt;
}

const struct authz *
epnet_authz(const struct epnet *n)
{
	return n->az;
}

const char *
epnet_target_name(const struct epnet *n, unsigned i)
{
	return i < n->n_t ? n->t[i].name : "";
}
