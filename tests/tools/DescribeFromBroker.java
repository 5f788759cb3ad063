// Kafka's own view of the cluster, answered from a broker's metadata cache alone: the live
// brokers (describeCluster) and every partition of the topics matching a regex, with leader,
// replicas and ISR (describeTopics). Unlike `kafka-topics --describe`, which also lists
// partition reassignments (a request only the active controller answers), it needs no
// controller quorum, so the integration tests can ask it after the quorum is lost.
//
// Run by the JVM's source-file mode on Kafka's jars (no build step):
//   scripts/kafka-cluster.sh tool tests/tools/DescribeFromBroker.java BOOTSTRAP TOPIC_REGEX [TIMEOUT_MS]
// Output, one line each:
//   broker ID
//   partition TOPIC PARTITION LEADER(-1 = none) replicas=A,B,... isr=A,B,...
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

public class DescribeFromBroker {
  static String ids(java.util.List<Node> nodes) {
    return nodes.stream().map(n -> Integer.toString(n.id())).collect(Collectors.joining(","));
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: DescribeFromBroker BOOTSTRAP TOPIC_REGEX [TIMEOUT_MS]");
      System.exit(2);
    }
    String timeout = args.length > 2 ? args[2] : "30000";
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeout);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout);
    Pattern pattern = Pattern.compile(args[1]);
    try (Admin admin = Admin.create(props)) {
      for (Node n : admin.describeCluster().nodes().get()) System.out.println("broker " + n.id());
      Set<String> topics = new TreeSet<>();
      for (String t : admin.listTopics().names().get()) {
        if (pattern.matcher(t).matches()) topics.add(t);
      }
      for (TopicDescription d : admin.describeTopics(topics).allTopicNames().get().values()) {
        for (TopicPartitionInfo p : d.partitions()) {
          int leader = p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id();
          System.out.println("partition " + d.name() + " " + p.partition() + " " + leader
                             + " replicas=" + ids(p.replicas()) + " isr=" + ids(p.isr()));
        }
      }
    }
  }
}
