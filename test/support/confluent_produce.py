"""Produces records with Confluent's own client and AvroSerializer (auto-registering the schema).

Usage: confluent_produce.py BOOTSTRAP REGISTRY_URL TOPIC SPEC_FILE
SPEC_FILE is JSON: {"schema": <Avro schema>, "records": [{"key": "...", "value": <tagged value>}]}
with logical-type values tagged as avro_values.py describes. Prints one JSON line per record
acknowledged: {"key": ..., "partition": ..., "offset": ...}.
"""
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from avro_values import from_tagged


def main() -> int:
    bootstrap, registry_url, topic, spec_file = sys.argv[1:5]
    with open(spec_file, encoding="utf-8") as f:
        spec = json.load(f)
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), json.dumps(spec["schema"]))
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
    failures = []

    def delivered(err, msg):
        if err is not None:
            failures.append(str(err))
        else:
            print(json.dumps({"key": msg.key().decode(), "partition": msg.partition(), "offset": msg.offset()}), flush=True)

    for record in spec["records"]:
        value = serializer(from_tagged(record["value"]), SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=record["key"].encode(), value=value, on_delivery=delivered)
        # One at a time, in order: the test's oracle is the record order of one partition.
        producer.flush(30)
    if failures or producer.flush(30) != 0:
        print(f"not delivered: {failures}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
