package dev.eventline.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The cart aggregation of services/cart-aggregator as a Kafka Streams application, the reference for
 * bench/cart.ts: {@code <prefix>cart-events} (KStream) joined with {@code <prefix>products}
 * (GlobalKTable), both Confluent-framed Avro decoded with the writer schema fetched once per id from
 * the registry, folded per customer into a CartDetails (the semantics of cart-fold.ts) in the state
 * store "carts" (so a changelog exists), written as JSON to the output topic, exactly_once_v2.
 *
 * Environment: BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, KAFKA_NAME_PREFIX, APPLICATION_ID, OUTPUT_TOPIC,
 * STREAM_THREADS (1), STATE_DIR. Prints one JSON line per state change on stdout.
 */
public final class CartStreams {
  private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final AtomicLong unknownProducts = new AtomicLong();

  /** A product as the GlobalKTable holds it. */
  public static final class Product {
    public String description;
    public int price;
    public long version;
  }

  /** A cart event, any of the three record types. */
  public static final class CartEvent {
    public String type;
    public String customerId;
    public String cartId;
    public String itemId;
    public int qty;
    public long version;
  }

  /** A cart event with the product it names (null when it names none, or one the table lacks). */
  public static final class Priced {
    final CartEvent event;
    final Product product;

    Priced(CartEvent event, Product product) {
      this.event = event;
      this.product = product;
    }
  }

  public static final class Line {
    public String itemId;
    public String productName;
    public int unitPrice;
    public int qty;
    public long lineTotal;

    Line() {}

    Line(String itemId, String productName, int unitPrice, int qty) {
      this.itemId = itemId;
      this.productName = productName;
      this.unitPrice = unitPrice;
      this.qty = qty;
      this.lineTotal = (long) unitPrice * qty;
    }
  }

  /** CartDetails: the same fields as schemas/carts/CartDetails.avsc. version 0 is "no cart yet". */
  public static final class Cart {
    public String customerId;
    public String cartId;
    public String status = "OPEN";
    public List<Line> lines = new ArrayList<>();
    public long total;
    public long version;
  }

  /** cart-fold.ts's foldCartEvent: one step of the aggregation; events at or below the cart's version change nothing. */
  static Cart fold(Cart cart, Priced priced) {
    CartEvent event = priced.event;
    if (cart.version > 0 && event.version <= cart.version) return cart;
    Cart next = new Cart();
    next.customerId = event.customerId;
    next.cartId = event.cartId;
    next.version = event.version;
    boolean sameCart = cart.version > 0 && event.cartId.equals(cart.cartId);
    List<Line> current = sameCart ? cart.lines : List.of();
    next.status = sameCart ? cart.status : "OPEN";
    switch (event.type) {
      case "dev.eventline.carts.CartItemAdded" -> {
        if (priced.product == null) {
          // The TS aggregator waits for the product (ProductNotYetKnown); the reference skips the event and counts it.
          unknownProducts.incrementAndGet();
          return cart;
        }
        boolean found = false;
        for (Line line : current) {
          if (line.itemId.equals(event.itemId)) {
            next.lines.add(new Line(event.itemId, priced.product.description, priced.product.price, line.qty + event.qty));
            found = true;
          } else {
            next.lines.add(line);
          }
        }
        if (!found) next.lines.add(new Line(event.itemId, priced.product.description, priced.product.price, event.qty));
        next.status = "OPEN";
      }
      case "dev.eventline.carts.CartItemRemoved" -> {
        for (Line line : current) {
          if (!line.itemId.equals(event.itemId)) {
            next.lines.add(line);
          } else if (line.qty - event.qty > 0) {
            next.lines.add(new Line(line.itemId, line.productName, line.unitPrice, line.qty - event.qty));
          }
        }
      }
      case "dev.eventline.carts.CartCheckedOut" -> {
        next.lines.addAll(current);
        next.status = "CHECKED_OUT";
      }
      default -> {
        return cart;
      }
    }
    long total = 0;
    for (Line line : next.lines) total += line.lineTotal;
    next.total = total;
    return next;
  }

  /** Confluent wire format (magic 0, 4-byte schema id, Avro binary), read with the writer schema from the registry. */
  static final class RegistryAvro {
    private final String registryUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new ConcurrentHashMap<>();

    RegistryAvro(String registryUrl) {
      this.registryUrl = registryUrl.replaceAll("/+$", "");
    }

    GenericRecord decode(byte[] data) {
      if (data.length < 5 || data[0] != 0) throw new SerializationException("not Confluent-framed Avro");
      int id = ByteBuffer.wrap(data, 1, 4).getInt();
      GenericDatumReader<GenericRecord> reader = readers.computeIfAbsent(id, this::fetch);
      try {
        return reader.read(null, DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null));
      } catch (IOException e) {
        throw new SerializationException("Avro body of schema id " + id + " does not decode", e);
      }
    }

    private GenericDatumReader<GenericRecord> fetch(int id) {
      try {
        HttpRequest request = HttpRequest.newBuilder(URI.create(registryUrl + "/schemas/ids/" + id)).timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new SerializationException("registry answered " + response.statusCode() + " for schema id " + id);
        String schema = JSON.readTree(response.body()).get("schema").asText();
        return new GenericDatumReader<>(new Schema.Parser().parse(schema));
      } catch (IOException e) {
        throw new SerializationException("registry unreachable for schema id " + id, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SerializationException("interrupted", e);
      }
    }
  }

  private static String text(GenericRecord record, String field) {
    Object value = record.get(field);
    return value == null ? null : value.toString();
  }

  static Serde<CartEvent> cartEventSerde(RegistryAvro avro) {
    Deserializer<CartEvent> deserializer = (topic, data) -> {
      if (data == null) return null;
      GenericRecord record = avro.decode(data);
      CartEvent event = new CartEvent();
      event.type = record.getSchema().getFullName();
      event.customerId = text(record, "customerId");
      event.cartId = text(record, "cartId");
      event.version = (Long) record.get("version");
      if (record.getSchema().getField("itemId") != null) {
        event.itemId = text(record, "itemId");
        event.qty = (Integer) record.get("qty");
      }
      return event;
    };
    Serializer<CartEvent> serializer = (topic, event) -> {
      throw new UnsupportedOperationException("cart events are only read");
    };
    return Serdes.serdeFrom(serializer, deserializer);
  }

  /**
   * Reads products both as they are on the topic (Confluent Avro, magic byte 0) and as the global
   * store keeps them (JSON, written by the serializer), whichever path Streams takes on restore.
   */
  static Serde<Product> productSerde(RegistryAvro avro) {
    Deserializer<Product> deserializer = (topic, data) -> {
      if (data == null) return null;
      if (data.length > 0 && data[0] == 0) {
        GenericRecord record = avro.decode(data);
        Product product = new Product();
        product.description = text(record, "description");
        product.price = (Integer) record.get("price");
        product.version = (Long) record.get("version");
        return product;
      }
      try {
        return JSON.readValue(data, Product.class);
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    };
    return Serdes.serdeFrom(jsonSerializer(), deserializer);
  }

  static <T> Serializer<T> jsonSerializer() {
    return (topic, value) -> {
      if (value == null) return null;
      try {
        return JSON.writeValueAsBytes(value);
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    };
  }

  static Serde<Cart> cartSerde() {
    Deserializer<Cart> deserializer = (topic, data) -> {
      if (data == null) return null;
      try {
        return JSON.readValue(data, Cart.class);
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    };
    return Serdes.serdeFrom(jsonSerializer(), deserializer);
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) {
      if (fallback == null) throw new IllegalArgumentException(name + " is not set");
      return fallback;
    }
    return value;
  }

  private static void say(String msg, String extra) {
    System.out.println("{\"msg\":\"" + msg + "\"" + (extra.isEmpty() ? "" : "," + extra) + "}");
    System.out.flush();
  }

  public static void main(String[] args) throws InterruptedException {
    String prefix = env("KAFKA_NAME_PREFIX", "");
    String applicationId = env("APPLICATION_ID", null);
    String output = env("OUTPUT_TOPIC", prefix + "kstreams-cart-details");
    RegistryAvro avro = new RegistryAvro(env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8085/apis/ccompat/v7"));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, env("BOOTSTRAP_SERVERS", "127.0.0.1:9092"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(env("STREAM_THREADS", "1")));
    props.put(StreamsConfig.STATE_DIR_CONFIG, env("STATE_DIR", System.getProperty("java.io.tmpdir") + "/kafka-streams"));
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);

    Serde<Product> products = productSerde(avro);
    Serde<Cart> carts = cartSerde();
    StreamsBuilder builder = new StreamsBuilder();
    GlobalKTable<String, Product> table = builder.globalTable(
        prefix + "products",
        Consumed.with(Serdes.String(), products),
        Materialized.<String, Product, KeyValueStore<Bytes, byte[]>>as("products").withKeySerde(Serdes.String()).withValueSerde(products));
    KStream<String, CartEvent> events = builder.stream(prefix + "cart-events", Consumed.with(Serdes.String(), cartEventSerde(avro)));
    KTable<String, Cart> aggregated = events
        // A checkout names no item: "" is no product's key, so it joins with null.
        .leftJoin(table, (customerId, event) -> event.itemId == null ? "" : event.itemId, Priced::new)
        // The key is unchanged (customer id), so there is no repartition topic.
        .groupByKey(Grouped.with(Serdes.String(), Serdes.serdeFrom(jsonSerializer(), (topic, data) -> {
          throw new UnsupportedOperationException("no repartition expected");
        })))
        .aggregate(Cart::new, (customerId, priced, cart) -> fold(cart, priced),
            Materialized.<String, Cart, KeyValueStore<Bytes, byte[]>>as("carts").withKeySerde(Serdes.String()).withValueSerde(carts));
    aggregated.toStream().to(output, Produced.with(Serdes.String(), carts));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch stopped = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    streams.setStateListener((now, before) -> {
      say("state", "\"state\":\"" + now + "\",\"from\":\"" + before + "\"");
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) stopped.countDown();
    });
    streams.setUncaughtExceptionHandler(error -> {
      System.err.println("stream thread failed: " + error);
      error.printStackTrace();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      closing.set(true);
      // Leave the group on close (Streams does not by default), so the benchmark can delete it at once.
      streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(20)));
      say("closed", "\"unknownProducts\":" + unknownProducts.get());
    }));
    streams.start();
    say("started", "\"applicationId\":\"" + applicationId + "\",\"output\":\"" + output + "\"");
    stopped.await();
    if (!closing.get()) System.exit(1);
  }

  private CartStreams() {}
}
