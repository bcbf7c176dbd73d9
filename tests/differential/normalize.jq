# The outcome of each scenario of a `swarmlab run --json` report, in a form
# that compares across backends.
#
# Usage: jq -S -f tests/differential/normalize.jq REPORT.json
#
# Gives one object keyed by scenario name. Kept: the scenario's outcome and
# the expectations that failed; each step's kind, target and outcome, and
# the message of a step that failed; the swarm at the end (the leader, each
# node's hostname, role, state, availability, OS, labels, reachability and
# leadership; each service's mode, replicas, running and pending tasks, the
# set of hosts and of images its running tasks have). Dropped: times, poll
# counts, IDs, the number of tasks on each host and which task slots were
# where, all of which depend on timing or on the scheduler's free choices.
# IDs and addresses inside messages become <id> and <addr>.

def scrub:
  if type == "string" then
    gsub("\\b[0-9a-z]{25}\\b"; "<id>")
    | gsub("\\b[0-9a-f]{64}\\b"; "<id>")
    | gsub("\\b[0-9]{1,3}(\\.[0-9]{1,3}){3}(:[0-9]+)?\\b"; "<addr>")
  else . end;

def step_outcome:
  {step, path, host, node, service, "as": .["as"], replicas, outcome}
  + (if .outcome == "ok" then {} else {message: (.message | scrub)} end)
  | with_entries(select(.value != null));

def node_outcome:
  {hostname, role, state, availability, os, labels, leader, reachability}
  | with_entries(select(.value != null));

def service_outcome:
  {name, mode, replicas, running, pending,
   hosts: ((.hosts // {}) | keys),
   images: ((.images // {}) | keys)};

def swarm_outcome:
  if . == null then null else
    {leader,
     error: (.error | scrub),
     nodes: ((.nodes // []) | map(node_outcome) | sort_by(.hostname)),
     services: ((.services // []) | map(service_outcome) | sort_by(.name))}
    | with_entries(select(.value != null))
  end;

[.scenarios[]
 | {key: .name,
    value: ({outcome,
             skipped_because: .reason,
             failed: ([.failures[]?.where] | if . == [] then null else . end),
             steps: [.steps[]? | step_outcome],
             swarm: (.swarm | swarm_outcome)}
            | with_entries(select(.value != null)))}]
| from_entries
