// An agency or a monitoring level, in Node.js with kafkajs.
//
// An agency (--agency, --jurisdiction) reads its own stream, lapor.jurisdiction.<path>.agency.<its id>
// (its complaints, whole), in its own consumer group agency-<its id>, and acknowledges each complaint
// routed to it by publishing `agency.acknowledge` on its own command topic lapor.commands.agency.<its id>:
// only its Kafka user may write there, and a command naming another agency is refused.
// A monitoring level (--level) reads the shared topics of its jurisdiction and every one below it (one
// pattern subscription), in the group monitor-<code>: every complaint, a rahasia one without its content.
//
//   npm install
//   node consume.js --agency dinkes.18.71 --jurisdiction 18.71   # Kota Bandar Lampung's health office
//   node consume.js --level 18                       # Lampung: the province and its 15 regencies/cities
//   node consume.js --level ID                       # the nation: every jurisdiction
//
//   # against the platform's cluster: TLS and SCRAM-SHA-512 as our own Kafka user (password from the
//   # environment, never on the command line), verifying the brokers against the cluster CA
//   KAFKA_PASSWORD=… node consume.js --level 18 --bootstrap kafka.lapor.example.go.id:9095 \
//     --username monitor-18 --ca-file ca.crt
//
// Kafka: --bootstrap, else LAPOR_KAFKA_BOOTSTRAP_SERVERS / KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:19092
// (the broker of `make run`, no authentication). With --username, TLS and SASL are on.
// Consumer group: agency-<agency id> with --agency, else monitor-<level>: the groups the platform's Kafka
// users agency-… and monitor-… may join (or agency-<id>:<name> / monitor-<level>:<name>, given with --group).
// Options: --group NAME, --max-messages N (stop after N events), --session-timeout-ms MS (how long the
// group waits for a silent member, 30000). See docs/jurisdictions.md.
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const { Kafka, Partitioners, logLevel } = require("kafkajs");


function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

// TLS (verifying the brokers against the cluster CA) and SCRAM-SHA-512, when a Kafka user is given.
function security(username, caFile) {
  if (!username) return {};
  return {
    ssl: caFile ? { ca: [fs.readFileSync(caFile, "utf8")] } : true,
    sasl: { mechanism: "scram-sha-512", username, password: process.env.KAFKA_PASSWORD },
  };
}

// The consumer group our Kafka user may join: the agency's own, else the monitoring level's.
function defaultGroup(agency, level) {
  return agency ? `agency-${agency}` : `monitor-${level}`;
}

function jurisdictionTopic(code) {
  return code === "ID" ? "lapor.jurisdiction.ID" : `lapor.jurisdiction.ID.${code}`;
}

// "18" → /^lapor\.jurisdiction\.ID\.18(\.\d\d)*$/ : the level's shared topic and every jurisdiction's
// below it, none of the agencies' streams. Codes are two digits per level, so "ID.18" never matches "ID.180".
function jurisdictionPattern(code) {
  return new RegExp(`^${jurisdictionTopic(code).replace(/\./g, "\\.")}(\\.\\d\\d)*$`);
}

// Our complaints, whole: lapor.jurisdiction.ID.18.71.agency.dinkes.18.71
function ownStream(code, agencyId) {
  return `${jurisdictionTopic(code)}.agency.${agencyId}`;
}

// Where we, and only we, write commands: lapor.commands.agency.dinkes.18.71
function commandTopic(agencyId) {
  return `lapor.commands.agency.${agencyId}`;
}

// A command in the common envelope, continuing the story of the event it answers.
function command(eventType, payload, about, agencyId) {
  return {
    event_id: crypto.randomUUID(),
    event_type: eventType,
    schema_version: 1,
    occurred_at: new Date().toISOString(),
    complaint_id: about.complaint_id,
    tracking_number: about.tracking_number,
    jurisdiction_code: about.jurisdiction_code,
    correlation_id: about.correlation_id,
    causation_id: about.event_id,
    producer: `agency:${agencyId}`,
    payload,
  };
}

function headersOf(envelope) {
  const headers = {
    "content-type": "application/json",
    event_id: envelope.event_id,
    event_type: envelope.event_type,
    schema_version: String(envelope.schema_version),
    correlation_id: envelope.correlation_id,
    producer: envelope.producer,
  };
  for (const k of ["causation_id", "complaint_id", "tracking_number", "jurisdiction_code"]) {
    if (envelope[k]) headers[k] = String(envelope[k]);
  }
  return headers;
}

async function main() {
  const agency = option("agency", null);
  const jurisdiction = option("jurisdiction", null);
  const level = option("level", "ID");
  if (agency && !jurisdiction) throw new Error("--agency needs --jurisdiction (the agency's code, e.g. 18.71)");
  const maxMessages = Number(option("max-messages", "0"));
  const bootstrap = option(
    "bootstrap",
    process.env.LAPOR_KAFKA_BOOTSTRAP_SERVERS || process.env.KAFKA_BOOTSTRAP_SERVERS || "127.0.0.1:19092",
  );
  const kafka = new Kafka({ clientId: `lapor-example-${agency || level}`, brokers: bootstrap.split(","),
                            logLevel: logLevel.WARN, ...security(option("username", null), option("ca-file", null)) });
  // how long the group waits for a silent member (kafkajs's default 30 s); a heartbeat every third of it
  const sessionTimeout = Number(option("session-timeout-ms", "30000"));
  const consumer = kafka.consumer({ groupId: option("group", defaultGroup(agency, level)), sessionTimeout,
                                    heartbeatInterval: Math.floor(sessionTimeout / 3) });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([consumer.connect(), producer.connect()]);
  const topics = agency ? [ownStream(jurisdiction, agency)] : [jurisdictionPattern(level)];
  await consumer.subscribe({ topics, fromBeginning: true });

  let seen = 0;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await consumer.disconnect();
    await producer.disconnect();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (stopping) return;
      const event = JSON.parse(message.value.toString("utf8"));
      const p = event.payload;
      const who = p.agency ? p.agency.agency_id : p.triage_jurisdiction ? `triase ${p.triage_jurisdiction}` : "";
      // a shared topic already withholds a rahasia complaint's content; an agency never passes it on either
      const title = p.title && !p.confidential ? ` "${p.title}"` : p.confidential ? " [rahasia]" : "";
      console.log(`${topic} ${event.event_type} ${event.tracking_number} ${who}${title}`);
      if (agency && event.event_type === "complaint.routed" && p.agency.agency_id === agency) {
        const ack = command("agency.acknowledge", { agency_id: agency, officer_ref: "petugas-js" }, event, agency);
        await producer.send({
          topic: commandTopic(agency),
          acks: -1,
          messages: [{ key: event.complaint_id, value: JSON.stringify(ack), headers: headersOf(ack) }],
        });
        console.log(`${event.tracking_number} agency.acknowledge dikirim / sent`);
      }
      seen += 1;
      if (maxMessages && seen >= maxMessages) setImmediate(stop);
    },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
