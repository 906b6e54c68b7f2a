/** `durable-devkit entity get|signal|list|clean`: durable entities from the command line. */

import { parseEntityInstanceId } from "../../emulator/engine/entity-batch";
import { parseJsonText } from "../../emulator/api/json-text";
import { APP_OPTIONS, APP_OPTIONS_HELP, parse, writeLines, type Command } from "../command";
import { EXIT, UsageError } from "../cli-error";
import { parseJsonArgument } from "../json-input";
import { openEmulator, openStoreForReading } from "../session";

const HELP = `Usage: durable-devkit entity get <name> <key> [--json] [options]
       durable-devkit entity signal <name> <key> <operation> [JSON|@FILE] [options]
       durable-devkit entity list [--json] [options]
       durable-devkit entity clean [options]

  get      print an entity's state (exit code 1 when it does not exist)
  signal   send the entity an operation, then run the emulator until everything it set off is done
  list     every entity with its state and last operation time
  clean    remove the records of entities that were deleted

Options:
${APP_OPTIONS_HELP}`;

export const entityCommand: Command = {
  name: "entity",
  summary: "read, signal, list and clean durable entities",
  help: HELP,
  async run(args, io) {
    const { values, positionals, help } = parse("entity", args, APP_OPTIONS, { min: 1, max: 5 });
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    const [verb, name, key, operation, data] = positionals;
    switch (verb) {
      case "get": {
        if (!name || !key || positionals.length > 3) throw new UsageError("Usage: durable-devkit entity get <name> <key>");
        const store = await openStoreForReading(values);
        try {
          const record = store.getInstance(`@${name.toLowerCase()}@${key}`);
          if (!record?.entity?.exists) {
            io.stderr.write(`The entity @${name.toLowerCase()}@${key} does not exist in ${store.description}.\n`);
            return EXIT.failed;
          }
          const state = parseJsonText(record.entity.state);
          io.stdout.write(
            values.json ? `${JSON.stringify({ name, key, state, lastOperationTime: record.lastUpdatedTime })}\n` : `${JSON.stringify(state, null, 2)}\n`,
          );
          return EXIT.ok;
        } finally {
          await store.close();
        }
      }
      case "list": {
        const store = await openStoreForReading(values);
        try {
          const entities = store.listInstances({ entities: true }).instances.filter((record) => record.entity?.exists);
          if (values.json) {
            io.stdout.write(
              `${JSON.stringify(
                entities.map((record) => ({
                  ...parseEntityInstanceId(record.instanceId),
                  state: parseJsonText(record.entity?.state),
                  lastOperationTime: record.lastUpdatedTime,
                })),
                null,
                2,
              )}\n`,
            );
          } else if (!entities.length) {
            io.stdout.write(`No entities in ${store.description}.\n`);
          } else {
            writeLines(
              io.stdout,
              entities.map((record) => `${record.instanceId.padEnd(30)} ${record.lastUpdatedTime}  ${record.entity?.state ?? ""}`),
            );
          }
          return EXIT.ok;
        } finally {
          await store.close();
        }
      }
      case "signal": {
        if (!name || !key || !operation) throw new UsageError("Usage: durable-devkit entity signal <name> <key> <operation> [JSON|@FILE]");
        const input = data === undefined ? undefined : parseJsonArgument(data, "operation input");
        const emulator = await openEmulator(values, io);
        try {
          await emulator.engine.signalEntity(name, key, operation, input);
          await emulator.engine.whenIdle();
          const entity = emulator.engine.readEntity(name, key);
          io.stdout.write(
            values.json
              ? `${JSON.stringify({ name, key, exists: entity !== undefined, state: entity?.state ?? null })}\n`
              : `Signalled ${operation} on @${name.toLowerCase()}@${key}; its state is now ${entity ? JSON.stringify(entity.state) : "(deleted)"}.\n`,
          );
          return EXIT.ok;
        } finally {
          await emulator.close();
        }
      }
      case "clean": {
        const emulator = await openEmulator(values, io);
        try {
          const removed = await emulator.engine.cleanEntityStorage();
          io.stdout.write(`Removed ${removed} deleted entit${removed === 1 ? "y" : "ies"}.\n`);
          return EXIT.ok;
        } finally {
          await emulator.close();
        }
      }
      default:
        throw new UsageError(`Unknown entity command "${verb}". Use get, signal, list or clean.`);
    }
  },
};
