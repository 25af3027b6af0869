-- Which process leads the `rekindle serve` processes sharing this control plane (src/cluster/leader.ts),
-- for operators: the leader writes it when it takes the lead and touches heartbeat_at every poll. The
-- advisory lock decides who leads; this row only reports it (a stale heartbeat_at: the leader died and
-- nobody has taken over yet, or the row is left from a process killed while it led).
CREATE TABLE cluster_leader (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  owner text NOT NULL,
  host text NOT NULL,
  pid integer NOT NULL,
  since timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL
);
