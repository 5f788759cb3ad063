"""A fleet agent whose session timeout the brokers refuse says so, and how to fix it.

Kafka refuses a JoinGroup whose session timeout lies outside the brokers'
group.min.session.timeout.ms .. group.max.session.timeout.ms (6 s .. 30 min by default);
librdkafka retries forever and reports "JoinGroup failed: Broker: Invalid session timeout" as
a consumer error. Before this test's change that was a debug line: the agent simply never got
a role. Now: an error line naming fleet.session_timeout and the brokers' settings, a counter
by kind, fleet.join_error in /api/v1/agents, and still no role. Then an agent of the same
fleet with an accepted timeout joins and takes every role: the refusal was the only reason.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import Agent, KafkaCluster, check, finish, http_get, value, wait_until  # noqa: E402


def agent_config(bootstrap, node, session_timeout):
    return f"""
kafka:
  bootstrap_servers: "{bootstrap}"
collectors:
  host:
    enabled: false
  groups:
    enabled: false
fleet:
  enabled: true
  node_name: {node}
  session_timeout: {session_timeout}
"""


def agents_view(agent):
    status, body, _ = http_get(agent.url + "/api/v1/agents")
    return json.loads(body)["agents"][0] if status == 200 else {}


def main():
    kafka = KafkaCluster().up()
    refused = Agent(agent_config(kafka.bootstrap, "refused", "2s"), name="refused").start()

    def refusals():
        return value(refused.metrics(), "kafka_sentinel_fleet_join_errors_total",
                     error="invalid_session_timeout") or 0

    check(wait_until(lambda: refusals() >= 2, 120, 0.5, "two refused joins counted"),
          f"refused joins counted: kafka_sentinel_fleet_join_errors_total"
          f"{{error=invalid_session_timeout}} = {refusals()}")
    with open(refused.log_path, errors="replace") as f:
        errors = [line for line in f if " error " in line and "fleet.session_timeout 2s" in line]
    count = refusals()
    check(1 <= len(errors) < count and "group.min.session.timeout.ms" in errors[0],
          f"an error line names fleet.session_timeout 2s and the brokers' bounds, not one per "
          f"refusal ({len(errors)} lines for {count} refusals): {errors[:1]}")
    view = agents_view(refused)
    fleet = view.get("fleet", {})
    check("fleet.session_timeout" in (fleet.get("join_error") or "") and fleet.get("state") == "joining",
          f"/api/v1/agents: state joining, join_error says why ({fleet})")
    metrics = refused.metrics()
    check(value(metrics, "kafka_sentinel_fleet_role", role="leader") == 0 and
          value(metrics, "kafka_sentinel_fleet_owned_partitions") == 0,
          "the refused agent holds no role")

    accepted = Agent(agent_config(kafka.bootstrap, "accepted", "6s"), name="accepted").start()
    check(wait_until(lambda: value(accepted.metrics(), "kafka_sentinel_fleet_role", role="leader") == 1,
                     120, 0.5, "the accepted agent leads"),
          "an agent of the same fleet with session_timeout 6s joins and leads")
    check(agents_view(accepted).get("fleet", {}).get("join_error") is None,
          "its join_error is null")
    check(value(refused.metrics(), "kafka_sentinel_fleet_role", role="leader") == 0,
          "the refused agent still holds no role")
    accepted.stop()
    refused.stop()
    finish()


if __name__ == "__main__":
    main()
