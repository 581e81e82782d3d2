import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CREATE_LABEL,
  sourceText,
  deleteItems,
  deletedMessage,
  deployQuestion,
  switchItems,
  validateEnvironmentName,
} from "../src/environments";
import { environments } from "./fixtures";

test("the switcher lists the environments, the active one checked, then 'Create environment…'", () => {
  const items = switchItems(environments);
  assert.deepEqual(
    items.map((item) => [item.label, item.action, item.name]),
    [
      ["$(blank) production", "use", "production"],
      ["$(check) staging", "use", "staging"],
      [CREATE_LABEL, "create", undefined],
    ],
  );
  assert.equal(items[1].description, "active (flash-ls env use) · healthy");
  assert.equal(items[0].description, "healthy · protected");
  assert.equal(items[0].detail, "2 endpoints · build b0123456");
  assert.equal(CREATE_LABEL, "$(add) Create environment…");
});

test("an app without environments still offers to create one", () => {
  const items = switchItems({ app: "app", active: null, source: null, environments: [] });
  assert.deepEqual(items.map((item) => item.action), ["create"]);
});

test("Delete Environment offers every environment", () => {
  assert.deepEqual(deleteItems(environments).map((item) => [item.label, item.action]), [
    ["production", "delete"],
    ["staging", "delete"],
  ]);
});

test("a new environment needs a name that is not taken", () => {
  assert.equal(validateEnvironmentName("dev", ["staging"]), undefined);
  assert.ok(validateEnvironmentName("  "));
  assert.ok(validateEnvironmentName("my env"));
  assert.match(validateEnvironmentName("staging", ["staging"]) ?? "", /exists/);
});

test("questions and results read well", () => {
  assert.equal(deployQuestion("production", "app"), "Deploy app to production?");
  assert.equal(deletedMessage({ deleted: true, environment: "dev", endpoints: 2 }), "Deleted environment dev and 2 endpoints");
  assert.equal(deletedMessage({ deleted: true, environment: "dev", endpoints: 1 }), "Deleted environment dev and 1 endpoint");
  assert.equal(deletedMessage({ deleted: false, cancelled: true, environment: "dev" }), "Delete cancelled");
});

test("the source of the active environment reads the same however the server wraps it", () => {
  const wrapped = { ...environments, source: "active (flash-ls env use)" };
  assert.equal(switchItems(wrapped)[1].description, "active (flash-ls env use) · healthy");
  assert.equal(sourceText("FLASH_ENV"), "FLASH_ENV");
  assert.equal(sourceText(null), undefined);
});

test("an environment without endpoints does not claim '0 endpoints'", () => {
  const list = { ...environments, environments: [{ id: "e3", name: "dev", state: "PENDING", endpoints: [] }] };
  assert.equal(switchItems(list)[0].detail, undefined);
});
