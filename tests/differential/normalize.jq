# The outcome of each scenario of a `swarmlab run --json` report, in a form
# that compares across backends.
#
# Usage: jq -S -f tests/differential/normalize.jq REPORT.json
#
# Gives one object keyed by scenario name. Kept: the scenario's outcome and
# the expectations that failed; each step's kind, target and outcome, and
# the message (and HTTP status, once the report has it) of a step that
# failed; the swarm at the end: each node's hostname, role, state,
# availability, OS, labels and reachability, the class of the leader, each
# service's mode, replicas, running and pending tasks (and why they are
# pending) and images, and
# where its running tasks are: on how many nodes, and the classes of those
# nodes. A class is a node's role, state, availability and labels, as in
# "worker ready active os=linux". Dropped: times, poll counts, IDs, which
# manager of a class leads, and which nodes of a class run tasks, how many
# on each, in which slots: raft elections and swarmkit's choice among
# nodes that fit cannot be predicted (the scenario's expectations, whose
# results are kept, can still name a leader or a host). IDs and addresses
# in messages become <id> and <addr>.

def scrub:
  if type == "string" then
    gsub("\\b[0-9a-z]{25}\\b"; "<id>")
    | gsub("\\b[0-9a-f]{64}\\b"; "<id>")
    | gsub("\\b[0-9]{1,3}(\\.[0-9]{1,3}){3}(:[0-9]+)?\\b"; "<addr>")
  else . end;

def step_outcome:
  {step, path, host, node, service, "as": .["as"], replicas, outcome}
  + (if .outcome == "ok" then {}
     else {message: (.message | scrub), status} end)
  | with_entries(select(.value != null));

def node_outcome:
  {hostname, role, state, availability, os, labels, reachability}
  | with_entries(select(.value != null));

def node_class:
  ([.role, .state, .availability]
   + (.labels // {} | to_entries | map("\(.key)=\(.value)") | sort))
  | join(" ");

# $classes: each node's class by hostname.
def service_outcome($classes):
  {name, mode, replicas, running, pending,
   pending_reason: (.pending_reason | scrub),
   on_nodes: (.hosts // {} | length),
   on: (.hosts // {} | keys | map($classes[.] // "a node not listed")
        | unique),
   images: (.images // {} | keys)};

def swarm_outcome:
  if . == null then null else
    ((.nodes // []) | map({key: .hostname, value: node_class})
     | from_entries) as $classes
    | {leader: (if .leader then $classes[.leader] // "a node not listed"
               else null end),
       error: (.error | scrub),
       nodes: ((.nodes // []) | map(node_outcome) | sort_by(.hostname)),
       services: ((.services // []) | map(service_outcome($classes))
                  | sort_by(.name))}
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
