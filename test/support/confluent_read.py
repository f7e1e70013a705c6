"""Reads a topic with Confluent's own client and Avro deserializer; prints one JSON line per record.

Usage: confluent_read.py BOOTSTRAP REGISTRY_URL TOPIC COUNT [TIMEOUT_S] [typed]
An independent check that what we write is Confluent wire format with registry-known ids.
With `typed`, values of logical types are printed exactly, tagged as avro_values.py describes.
"""
import json
import struct
import sys
import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from avro_values import to_tagged


def main() -> int:
    bootstrap, registry_url, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    timeout_s = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
    typed = len(sys.argv) > 6 and sys.argv[6] == "typed"
    registry = SchemaRegistryClient({"url": registry_url})
    deserializer = AvroDeserializer(registry)
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"confluent-read-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    seen = 0
    deadline = time.monotonic() + timeout_s
    try:
        while seen < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                print(json.dumps({"error": str(msg.error())}), flush=True)
                continue
            raw = msg.value()
            value = deserializer(raw, SerializationContext(topic, MessageField.VALUE, msg.headers()))
            _, ts = msg.timestamp()
            print(json.dumps({
                "partition": msg.partition(),
                "offset": msg.offset(),
                "timestamp": ts,
                "key": msg.key().decode() if msg.key() is not None else None,
                "schemaId": struct.unpack(">bI", raw[:5])[1],
                "value": to_tagged(value) if typed else value,
                "headers": {k: v.decode() for k, v in (msg.headers() or [])},
            }, default=str), flush=True)
            seen += 1
    finally:
        consumer.close()
    if seen < count:
        print(f"read {seen} of {count} records before the timeout", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
