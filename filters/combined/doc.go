// Package combined is the logic of the `laneway` module: synthetic, shadowtag and tenantroute in one
// WasmPlugin, one Go VM per worker, one entry into Go per callback and one read of the request headers.
//
// The plugin configuration is {"tenantroute":{...},"shadowtag":{...},"synthetic":{...}}: each value is the
// configuration that filter takes alone, parsed by that filter's own ParseConfig; a missing key turns that
// role off; an empty configuration, one without any role, unknown keys and repeated keys are refused.
// shadowtag's section is read as the plain shadowtag module reads it: a compare section is refused (compare
// captures are the shadowtag-compare module's).
//
// # Order
//
// Per request the roles decide, in this fixed order, over the one header snapshot, each seeing the edits of
// the roles before it:
//
//  1. synthetic: checks the synthetic marker (token or trusted principal at the edge), normalises it, refuses
//     or reroutes unsafe synthetic writes;
//  2. shadowtag: detects and marks shadow copies (restoring a mirrored host), contains shadow writes, strips
//     client-set shadow markers at the edge;
//  3. tenantroute: routes by tenant and, at a trust boundary, strips client-set x-laneway-* headers.
//
// synthetic goes before tenantroute because tenantroute's trust-boundary strip removes every x-laneway-*
// header: in the combined module a header a role before it set or vouched for (synthetic's checked
// marker, a reroute header, shadowtag's mark) is kept and not counted as stripped. That makes the order the
// README once asked users to give separate WasmPlugins unnecessary. shadowtag goes before tenantroute so that
// a mirrored host is restored before routing.
//
// Most requests carry nothing synthetic or shadowtag acts on. One pass over the header names
// (headerscan.Scan: their lengths, where the baggage is) and one over the baggage values (baggage.Sieve: whether
// their keys may occur) tell it; a role whose QuietOn then says so is not run, its decision being its pass without
// edits (synthetic counts nothing for an unmarked request, shadowtag counts it as passed). Each QuietOn is held to
// its role's Decide by a fuzz target, and the whole filter to the roles run in order, without the shortcut, by
// FuzzCombinedIsTheRolesInOrder. When both pass so, tenantroute decides over the same snapshot, taking the
// summary's baggage for its own pass over the headers, and its verdict is written as it is.
//
// The merged edits are written once (edit by edit when few, else one whole-map write), Envoy is asked to
// select the route again at most once (when a role asked for it and a header changed), and at most one local
// reply is sent: the first role that refuses (synthetic's refusal, shadowtag's suppression) wins, the roles
// after it do not run, and the reply names it in the x-laneway-answered-by header and the debug log. Each role
// counts its outcomes under its own filter's counter names (laneway_<filter>_<outcome>_total), so dashboards do
// not change when a mesh moves from the separate modules to this one.
//
// Per-stream state exists only when a role needs it: synthetic's acknowledgement check on the response
// headers (ack.required) and shadowtag's JSON body redaction of shadow copies (inbound.redact.jsonFields).
package combined
