/*
 * be_kernel_couplings: where the kernel couples classes the verdict model keeps apart
 * (found by scripts/vmtest, the same under AppArmor and BPF-LSM):
 *   - a raw, icmp or packet socket also needs CAP_NET_RAW (inet_create asks after the LSM
 *     hook), so it depends on the capabilities class;
 *   - a network capability can only be exercised on a socket the network class lets the
 *     program create.
 * Needs: the target's rules.  Fills: two KC0402 gaps, each limited to the resources the
 * coupling concerns.  One analysis for every backend that runs on a Linux kernel.
 */
#include <string.h>

#include "backend.h"

void be_allow_lists(const struct ir_program *p, const struct ir_target *t, bool allow_list[IR_PC_COUNT])
{
	memset(allow_list, 0, IR_PC_COUNT * sizeof(*allow_list));
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &p->rules[t->rules[i]];
		if (r->action != IR_ALLOW)
			continue;
		if (r->cls == IR_PROCESS || r->cls == IR_FILE)
			allow_list[IR_PC_FILE] = true;
		else if (r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL)
			allow_list[IR_PC_NETWORK] = true;
		else if (r->cls == IR_CAPABILITY)
			allow_list[IR_PC_CAPABILITIES] = true;
	}
}

void be_kernel_couplings(struct be_ctx *ctx, const struct ir_target *t)
{
	static const char *const raw_sockets[] = {"raw", "icmp", "icmpv6", "packet", NULL};
	static const char *const net_caps[] = {"net_raw", "net_admin", "net_bind_service", "net_broadcast", NULL};
	static const struct be_gap_scope raw_scope = {.only = raw_sockets}, caps_scope = {.only = net_caps};
	const struct ir_program *p = ctx->prog;
	bool allow_list[IR_PC_COUNT];
	be_allow_lists(p, t, allow_list);
	/* CAP_NET_RAW is plain when the class is open, or an Allow for every source grants it,
	 * and no Block or Audit rule touches it; `why` is the rule that restricts it (for the
	 * finding's location): a non-Allow net_raw rule, else the rule that made the
	 * capabilities an allow-list */
	bool net_raw_plain = !allow_list[IR_PC_CAPABILITIES];
	bool network_open = !allow_list[IR_PC_NETWORK] || t->posture[IR_PC_NETWORK] == IR_POSTURE_AUDIT;
	const struct ir_rule *raw_why = NULL, *net_why = NULL;
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &p->rules[t->rules[i]];
		bool net_raw = r->cls == IR_CAPABILITY && strcmp(ir_s(&p->strs, r->target), "net_raw") == 0;
		if (net_raw && r->action == IR_ALLOW && r->source.kind == IR_SRC_ANY)
			net_raw_plain = true;
		if (!raw_why && r->cls == IR_CAPABILITY && r->action == IR_ALLOW)
			raw_why = r;
		if (!net_why && r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL && r->action == IR_ALLOW)
			net_why = r;
	}
	const struct ir_rule *raw_block = NULL, *net_block = NULL;
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &p->rules[t->rules[i]];
		bool net_raw = r->cls == IR_CAPABILITY && strcmp(ir_s(&p->strs, r->target), "net_raw") == 0;
		if (net_raw && r->action != IR_ALLOW) {
			net_raw_plain = false;
			raw_block = raw_block ? raw_block : r;
		}
		if (r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL && r->action == IR_BLOCK) {
			network_open = false;
			net_block = net_block ? net_block : r;
		}
	}
	raw_why = raw_block ? raw_block : raw_why;
	net_why = net_block ? net_block : net_why;
	struct fe_loc none = {NULL, 0, 0};
	if (!net_raw_plain)
		be_gap_at(ctx, t, raw_why ? raw_why->loc : none, IR_PC_NETWORK, FE_BE_POSTURE, &raw_scope, "raw, icmp "
			  "and packet sockets need CAP_NET_RAW, which this target's capability rules restrict or audit: the "
			  "kernel couples what the verdict model keeps apart");
	if (!network_open)
		be_gap_at(ctx, t, net_why ? net_why->loc : none, IR_PC_CAPABILITIES, FE_BE_POSTURE, &caps_scope,
			  "network capabilities are used on sockets, which this target's network rules restrict: the "
			  "kernel couples what the verdict model keeps apart");
}
