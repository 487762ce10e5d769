"""Reads every record of a Kafka topic from the beginning with kafka-python, an independent
client, and prints one line per record: partition, key and value, tab-separated, the key and
value hex-encoded (the key as "-" when the record has none).

Usage: kafka_consume.py BOOTSTRAP TOPIC [tls]
With "tls" the broker is reached over TLS, its certificate not checked (tests use
self-signed ones).
"""

import ssl
import sys

from kafka import KafkaConsumer, TopicPartition


def main() -> None:
    bootstrap, topic = sys.argv[1], sys.argv[2]
    security = {}
    if sys.argv[3:] == ["tls"]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        security = {"security_protocol": "SSL", "ssl_context": context}
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        **security,
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
        request_timeout_ms=20000,
    )
    partitions = consumer.partitions_for_topic(topic) or set()
    assigned = [TopicPartition(topic, partition) for partition in sorted(partitions)]
    consumer.assign(assigned)
    consumer.seek_to_beginning(*assigned)
    for record in consumer:
        key = "-" if record.key is None else record.key.hex()
        print(f"{record.partition}\t{key}\t{record.value.hex()}", flush=True)
    consumer.close()


if __name__ == "__main__":
    main()
