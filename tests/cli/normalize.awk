# Normalize a docker CLI session transcript so that runs against different swarms compare equal.
#
# Usage: awk -f tests/cli/normalize.awk RAW > NORMALIZED   (POSIX awk; mawk is fine)
#
# Replaced, in this order, on every line:
#   join tokens SWMTKN-1-...           -> <token:N>   N by order of first appearance
#   IPv4 addresses (and :port)         -> <ip> (<ip>:<port>)
#   64-hex and 25-char swarm IDs, and
#   a 12-char ID opening a table row   -> <id:N>      truncated and full forms of one
#                                                     ID share N (same first 12 chars)
#   ISO timestamps                     -> <time>
#   "5 seconds ago", "About a minute ago", "less than a second ago" ... -> <ago>
#   go1.x.y                            -> <go-version>
#   20.10.x[+dfsgN] (engine version)   -> <engine-version>
#   the value after "Built:" / "Git commit:" / "GitCommit:" -> <built> / <commit>
#   runs of spaces inside a line       -> two spaces (table columns depend on the
#                                         width of the values replaced above);
#                                         trailing spaces are removed.

function rep(s, n,    r) {
    r = ""
    while (n-- > 0)
        r = r s
    return r
}

function isalnum(c) {
    return c ~ /^[a-z0-9]$/
}

# Placeholder for an ID, keyed by its first 12 characters.
function id_for(v,    k) {
    k = substr(v, 1, 12)
    if (!(k in ids))
        ids[k] = ++nids
    return "<id:" ids[k] ">"
}

function token_for(v) {
    if (!(v in tokens))
        tokens[v] = ++ntokens
    return "<token:" tokens[v] ">"
}

# Replace every match of re in s by what kind says; with bounded=1 only
# matches not inside a longer [a-z0-9] word.
function subst(s, re, kind, bounded,    out, m, before, after, ok) {
    out = ""
    while (match(s, re)) {
        m = substr(s, RSTART, RLENGTH)
        before = RSTART > 1 ? substr(s, RSTART - 1, 1) : ""
        after = substr(s, RSTART + RLENGTH, 1)
        ok = !bounded || (!isalnum(before) && !isalnum(after))
        if (!ok) {
            out = out substr(s, 1, RSTART)
            s = substr(s, RSTART + 1)
            continue
        }
        out = out substr(s, 1, RSTART - 1)
        if (kind == "token")
            out = out token_for(m)
        else if (kind == "id")
            out = out id_for(m)
        else
            out = out kind
        s = substr(s, RSTART + RLENGTH)
    }
    return out s
}

BEGIN {
    an = "[a-z0-9]"
    hx = "[0-9a-f]"
    re_token = "SWMTKN-1-" rep(an, 50) "-" rep(an, 25)
    re_hex64 = rep(hx, 64)
    re_id25 = rep(an, 25)
    re_id12_row = "^" rep(an, 12) "( |$)"
    octet = "[0-9][0-9]?[0-9]?"
    re_ipport = octet "\\." octet "\\." octet "\\." octet ":[0-9]+"
    re_ip = octet "\\." octet "\\." octet "\\." octet
    d2 = "[0-9][0-9]"
    re_time = d2 d2 "-" d2 "-" d2 "[T ]" d2 ":" d2 ":" d2 "(\\.[0-9]+)?(Z|[+-]" d2 ":?" d2 ")?( [+-]" d2 d2 " [A-Z]+)?"
    re_ago = "([0-9]+ (second|minute|hour|day|week|month|year)s?|[Ll]ess than a second|[Aa]bout an? (minute|hour)) ago"
    re_go = "go1\\.[0-9]+(\\.[0-9]+)?"
    re_engine = "20\\.10\\.[0-9]+(\\+dfsg[0-9]+)?"
}

{
    s = $0
    s = subst(s, re_token, "token", 0)
    s = subst(s, re_ipport, "<ip>:<port>", 0)
    s = subst(s, re_ip, "<ip>", 0)
    s = subst(s, re_hex64, "id", 1)
    s = subst(s, re_id25, "id", 1)
    if (match(s, re_id12_row))
        s = id_for(substr(s, 1, 12)) substr(s, 13)
    s = subst(s, re_time, "<time>", 0)
    s = subst(s, re_ago, "<ago>", 0)
    s = subst(s, re_go, "<go-version>", 0)
    s = subst(s, re_engine, "<engine-version>", 0)
    if (match(s, /(Built|Git commit|GitCommit): +/))
        s = substr(s, 1, RSTART + RLENGTH - 1) (s ~ /Built:/ ? "<built>" : "<commit>")

    # Keep the indentation, squeeze the column padding, drop trailing blanks.
    match(s, /^ */)
    lead = substr(s, 1, RLENGTH)
    rest = substr(s, RLENGTH + 1)
    gsub(/  +/, "  ", rest)
    sub(/ +$/, "", rest)
    print lead rest
}
