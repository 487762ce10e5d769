"""An independent AMQP client (pika) for the rabbitmq executor's tests.

Usage: rabbitmq_client.py URL bind EXCHANGE QUEUE   declares a direct exchange and the queue,
                                                    bound with the queue's name as routing key
       rabbitmq_client.py URL get QUEUE SECONDS     takes one message off the queue, waiting up
                                                    to SECONDS; prints it as one JSON line
                                                    (null when none came)
"""

import base64
import json
import sys
import time

import pika


def bind(channel, exchange, queue):
    channel.exchange_declare(exchange, exchange_type="direct")
    channel.queue_declare(queue)
    channel.queue_bind(queue, exchange, routing_key=queue)
    print("BOUND")


def get(channel, queue, seconds):
    deadline = time.monotonic() + seconds
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            print(json.dumps({
                "body_base64": base64.b64encode(body).decode("ascii"),
                "content_type": properties.content_type,
                "delivery_mode": properties.delivery_mode,
                "message_id": properties.message_id,
                "exchange": method.exchange,
                "routing_key": method.routing_key,
            }))
            return
        if time.monotonic() > deadline:
            print("null")
            return
        time.sleep(0.1)


def main():
    url, command = sys.argv[1], sys.argv[2]
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    if command == "bind":
        bind(channel, sys.argv[3], sys.argv[4])
    elif command == "get":
        get(channel, sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit("unknown command " + command)
    connection.close()


if __name__ == "__main__":
    main()
