// The `__consumer_offsets` partition of each group id, as Kafka's group coordinator computes
// it: Utils.abs(groupId.hashCode()) % partitions, Utils.abs being Kafka's (Integer.MIN_VALUE
// gives 0, where Math.abs would stay negative). Java's own String.hashCode, over UTF-16 code
// units: the reference the agent's kafka/offsets_partition.cpp is tested against
// (tests/unit/test_offsets_partition.cpp reads the fixture this program wrote).
//
// Run by the JVM's source-file mode (no build step, no Kafka jars needed), group ids one per
// line in UTF-8 on stdin (a line "<empty>" stands for the empty id):
//   java tests/tools/OffsetsPartitionOf.java 50 10 < ids.txt
// Output, one line per id, tab-separated: hashCode, then the partition for each count given,
// then the id itself.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

public class OffsetsPartitionOf {
  // org.apache.kafka.common.utils.Utils.abs
  static int abs(int n) {
    return (n == Integer.MIN_VALUE) ? 0 : Math.abs(n);
  }

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String id = line.equals("<empty>") ? "" : line;
      StringBuilder row = new StringBuilder().append(id.hashCode());
      for (String count : args) row.append('\t').append(abs(id.hashCode()) % Integer.parseInt(count));
      out.println(row.append('\t').append(line));
    }
  }
}
