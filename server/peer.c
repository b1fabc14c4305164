/*
 * peer.c - peer lifetime and the peer-id / outer-address tables.
 *
 * Only authenticated-enough peers (cookie echoed) are ever inserted, so the
 * address hash need not resist chosen-key flooding the way a table fed by
 * arbitrary packets would; it is still seeded per process so bucket layout
 * is not predictable.  Peer-ids are the lowest free index, as 2.6 assigns
 * them, and are freed when the peer dies.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mtime.h"
#include "peer.h"

enum { PEER_LOG_BURST = 5, PEER_LOG_PER_SEC = 1 };

struct peer *
peer_new(void)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->close_at = MTIME_NEVER;
	p->ho_idx = -1;
	log_rl_init(&p->rl, PEER_LOG_BURST, PEER_LOG_PER_SEC);
	return p;
}

void
keystate_clear(struct keystate *ks)
{
	rel_free(&ks->rel);
	if (ks->tls != NULL)
		tls_sess_free(ks->tls);
	if (ks->pt != NULL) {
		OPENSSL_cleanse(ks->pt, ks->pt_len);
		free(ks->pt);
	}
	if (ks->pending != NULL) {
		OPENSSL_cleanse(ks->pending, ks->pending_len);
		free(ks->pending);
	}
	dchan_key_free(&ks->dk);
	memset(ks, 0, sizeof(*ks));
}

void
peer_free(struct peer *p)
{
	unsigned i;

	if (p == NULL)
		return;
	for (i = 0; i < PEER_KS; i++)
		keystate_clear(&p->ks[i]);
	tlswrap_free(&p->wrap);
	free(p->v2_meta);
	free(p->mgmt_cfg);
	if (p->ccd != NULL) {
		ccd_free(p->ccd);
		free(p->ccd);
	}
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

struct keystate *
peer_ks_by_id(struct peer *p, uint8_t key_id)
{
	unsigned i;

	for (i = 0; i < PEER_KS; i++)
		if (p->ks[i].state != KS_NONE && p->ks[i].key_id == key_id)
			return &p->ks[i];
	return NULL;
}

struct keystate *
peer_tx_ks(struct peer *p)
{
	unsigned i;

	for (i = 0; i < PEER_KS; i++)
		if (p->ks[i].keys_ready)
			return &p->ks[i];
	return NULL;
}

int
peer_set_v2_meta(struct peer *p, const uint8_t *meta, size_t len)
{
	free(p->v2_meta);
	p->v2_meta = NULL;
	p->v2_meta_len = 0;
	if (len == 0)
		return 0;
	if ((p->v2_meta = malloc(len)) == NULL)
		return ERR_NOMEM;
	memcpy(p->v2_meta, meta, len);
	p->v2_meta_len = len;
	return 0;
}

void
peer_set_remote(struct peer *p, const struct sockaddr *sa, socklen_t salen)
{
	if (salen > sizeof(p->sa))
		salen = sizeof(p->sa);
	memset(&p->sa, 0, sizeof(p->sa));
	memcpy(&p->sa, sa, salen);
	p->salen = salen;
	if (sockaddr_format(sa, salen, p->sa_str, sizeof(p->sa_str)) != 0)
		strcpy(p->sa_str, "?");
}

/* ---- tables ---- */

static uint32_t
hash_addr(const struct peer_table *t, const struct sockaddr *sa, socklen_t salen)
{
	struct addr a;
	uint16_t port = 0;
	uint64_t h = t->hkey[0];
	unsigned i;

	memset(&a, 0, sizeof(a));
	if (addr_from_sockaddr(sa, salen, &a, &port) != 0)
		return 0;
	for (i = 0; i < sizeof(a.b); i++) {
		h ^= a.b[i];
		h *= UINT64_C(0x100000001b3);
	}
	h ^= port ^ t->hkey[1];
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (uint32_t)h & t->hmask;
}

int
peer_table_init(struct peer_table *t, uint32_t max_clients)
{
	uint32_t buckets = 64;

	memset(t, 0, sizeof(*t));
	while (buckets < max_clients * 2 && buckets < (UINT32_C(1) << 20))
		buckets <<= 1;
	t->by_id = calloc(max_clients, sizeof(*t->by_id));
	t->hash = calloc(buckets, sizeof(*t->hash));
	if (t->by_id == NULL || t->hash == NULL) {
		peer_table_free(t);
		return ERR_NOMEM;
	}
	t->max = max_clients;
	t->hmask = buckets - 1;
	if (RAND_bytes((unsigned char *)t->hkey, sizeof(t->hkey)) != 1) {
		peer_table_free(t);
		return ERR_CRYPTO;
	}
	return 0;
}

void
peer_table_free(struct peer_table *t)
{
	free(t->by_id);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}

static void
hash_insert(struct peer_table *t, struct peer *p)
{
	uint32_t h = hash_addr(t, (const struct sockaddr *)&p->sa, p->salen);

	p->hnext = t->hash[h];
	t->hash[h] = p;
}

static void
hash_remove(struct peer_table *t, struct peer *p)
{
	uint32_t h = hash_addr(t, (const struct sockaddr *)&p->sa, p->salen);
	struct peer **pp;

	for (pp = &t->hash[h]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == p) {
			*pp = p->hnext;
			p->hnext = NULL;
			return;
		}
	}
}

int
peer_table_add(struct peer_table *t, struct peer *p)
{
	uint32_t i;

	for (i = 0; i < t->max; i++) {
		if (t->by_id[i] == NULL) {
			p->id = i;
			t->by_id[i] = p;
			t->count++;
			if (p->tcp == NULL)
				hash_insert(t, p);
			return 0;
		}
	}
	return ERR_FULL;
}

void
peer_table_del(struct peer_table *t, struct peer *p)
{
	if (p->id < t->max && t->by_id[p->id] == p) {
		t->by_id[p->id] = NULL;
		t->count--;
		if (p->tcp == NULL)
			hash_remove(t, p);
	}
}

struct peer *
peer_by_id(const struct peer_table *t, uint32_t id)
{
	return id < t->max ? t->by_id[id] : NULL;
}

struct peer *
peer_by_addr(const struct peer_table *t, const struct sockaddr *sa, socklen_t salen)
{
	struct peer *p;

	for (p = t->hash[hash_addr(t, sa, salen)]; p != NULL; p = p->hnext)
		if (sockaddr_eq((const struct sockaddr *)&p->sa, p->salen, sa, salen))
			return p;
	return NULL;
}

struct peer *
peer_by_addr_sid(const struct peer_table *t, const struct sockaddr *sa, socklen_t salen,
		 const uint8_t csid[SESSION_ID_LEN])
{
	struct peer *p;

	for (p = t->hash[hash_addr(t, sa, salen)]; p != NULL; p = p->hnext)
		if (memcmp(p->csid, csid, SESSION_ID_LEN) == 0 &&
		    sockaddr_eq((const struct sockaddr *)&p->sa, p->salen, sa, salen))
			return p;
	return NULL;
}

void
peer_for_each_at_addr(const struct peer_table *t, const struct peer *p,
		      void (*fn)(struct peer *other, void *arg), void *arg)
{
	struct peer *o, *next;

	for (o = t->hash[hash_addr(t, (const struct sockaddr *)&p->sa, p->salen)]; o != NULL;
	    o = next) {
		next = o->hnext;
		if (o != p && sockaddr_eq((const struct sockaddr *)&o->sa, o->salen,
		    (const struct sockaddr *)&p->sa, p->salen))
			fn(o, arg);
	}
}

void
peer_table_move(struct peer_table *t, struct peer *p, const struct sockaddr *sa, socklen_t salen)
{
	hash_remove(t, p);
	peer_set_remote(p, sa, salen);
	hash_insert(t, p);
}
