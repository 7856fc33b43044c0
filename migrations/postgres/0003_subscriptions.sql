-- PostgreSQL dialect of sqlite/0003_subscriptions.sql: ids uuid, times timestamptz, JSON jsonb.
-- Products and subscriptions, in orchestrator-core's relational shape, so that plain SQL
-- finds a subscription by any value of any of its blocks:
--   SELECT s.* FROM subscriptions s
--   JOIN subscription_instances i ON i.subscription_id = s.subscription_id
--   JOIN subscription_instance_values v ON v.subscription_instance_id = i.subscription_instance_id
--   JOIN resource_types r ON r.resource_type_id = v.resource_type_id
--   WHERE r.resource_type = 'node_name' AND v.value = 'loc1-core';

CREATE TABLE products (
    product_id    uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    description   text NOT NULL,
    product_type  text NOT NULL,
    tag           text NOT NULL,
    status        text NOT NULL DEFAULT 'active',
    created_at    timestamptz NOT NULL,
    end_date      timestamptz
);

CREATE TABLE product_blocks (
    product_block_id  uuid PRIMARY KEY,
    name              text NOT NULL UNIQUE,
    description       text NOT NULL DEFAULT '',
    tag               text,
    status            text NOT NULL DEFAULT 'active',
    created_at        timestamptz NOT NULL,
    end_date          timestamptz
);

CREATE TABLE resource_types (
    resource_type_id  uuid PRIMARY KEY,
    resource_type     text NOT NULL UNIQUE,
    description       text NOT NULL DEFAULT ''
);

CREATE TABLE fixed_inputs (
    fixed_input_id  uuid PRIMARY KEY,
    name            text NOT NULL,
    value           text NOT NULL,
    product_id      uuid NOT NULL REFERENCES products (product_id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    UNIQUE (product_id, name)
);

CREATE TABLE product_product_blocks (
    product_id        uuid NOT NULL REFERENCES products (product_id) ON DELETE CASCADE,
    product_block_id  uuid NOT NULL REFERENCES product_blocks (product_block_id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, product_block_id)
);

CREATE TABLE product_block_relations (
    in_use_by_id   uuid NOT NULL REFERENCES product_blocks (product_block_id) ON DELETE CASCADE,
    depends_on_id  uuid NOT NULL REFERENCES product_blocks (product_block_id) ON DELETE CASCADE,
    min            integer,
    max            integer,
    PRIMARY KEY (in_use_by_id, depends_on_id)
);

CREATE TABLE product_block_resource_types (
    product_block_id  uuid NOT NULL REFERENCES product_blocks (product_block_id) ON DELETE CASCADE,
    resource_type_id  uuid NOT NULL REFERENCES resource_types (resource_type_id) ON DELETE CASCADE,
    PRIMARY KEY (product_block_id, resource_type_id)
);

CREATE TABLE products_workflows (
    product_id   uuid NOT NULL REFERENCES products (product_id) ON DELETE CASCADE,
    workflow_id  uuid NOT NULL REFERENCES workflows (workflow_id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, workflow_id)
);

CREATE TABLE subscriptions (
    subscription_id  uuid PRIMARY KEY,
    description      text NOT NULL,
    status           text NOT NULL CHECK (status IN ('initial', 'provisioning', 'active', 'disabled', 'terminated', 'migrating')),
    product_id       uuid NOT NULL REFERENCES products (product_id),
    customer_id      text NOT NULL,
    insync           boolean NOT NULL DEFAULT false,
    start_date       timestamptz,
    end_date         timestamptz,
    note             text,
    -- The process that holds the subscription (modify, terminate, validate); taken atomically
    -- when that process is created, released when it completes or is aborted.
    locked_by        uuid REFERENCES processes (process_id)
);

CREATE INDEX subscriptions_product_idx ON subscriptions (product_id, status);

CREATE TABLE subscription_instances (
    subscription_instance_id  uuid PRIMARY KEY,
    subscription_id           uuid NOT NULL REFERENCES subscriptions (subscription_id) ON DELETE CASCADE,
    product_block_id          uuid NOT NULL REFERENCES product_blocks (product_block_id),
    label                     text
);

CREATE INDEX subscription_instances_subscription_idx ON subscription_instances (subscription_id);

-- One row per value. value is the text plain SQL compares; value_type gives the value back
-- its type (string, int, double, bool, null, json); list_index keeps list order (NULL for a
-- single value; -1 with value_type 'empty_list' for an empty list). A null is a row with
-- value_type 'null'; an absent field has no row.
CREATE TABLE subscription_instance_values (
    subscription_instance_value_id  uuid PRIMARY KEY,
    subscription_instance_id        uuid NOT NULL REFERENCES subscription_instances (subscription_instance_id) ON DELETE CASCADE,
    resource_type_id                uuid NOT NULL REFERENCES resource_types (resource_type_id),
    value                           text,
    value_type                      text NOT NULL CHECK (value_type IN ('string', 'int', 'double', 'bool', 'null', 'json', 'empty_list')),
    list_index                      integer
);

CREATE INDEX subscription_instance_values_instance_idx ON subscription_instance_values (subscription_instance_id);
CREATE INDEX subscription_instance_values_value_idx ON subscription_instance_values (resource_type_id, value);

-- The block tree, and links into other subscriptions' blocks (which make those "in use by"
-- this one). order_id is NULL for a single block, the position in a list otherwise.
CREATE TABLE subscription_instance_relations (
    in_use_by_id       uuid NOT NULL REFERENCES subscription_instances (subscription_instance_id) ON DELETE CASCADE,
    depends_on_id      uuid NOT NULL REFERENCES subscription_instances (subscription_instance_id),
    order_id           integer,
    domain_model_attr  text NOT NULL
);

CREATE INDEX subscription_instance_relations_parent_idx ON subscription_instance_relations (in_use_by_id);
CREATE INDEX subscription_instance_relations_child_idx ON subscription_instance_relations (depends_on_id);

CREATE TABLE processes_subscriptions (
    process_id       uuid NOT NULL REFERENCES processes (process_id) ON DELETE CASCADE,
    subscription_id  uuid NOT NULL REFERENCES subscriptions (subscription_id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (process_id, subscription_id)
);

CREATE INDEX processes_subscriptions_subscription_idx ON processes_subscriptions (subscription_id, created_at);

-- Every committed change of a subscription: the model after it and the field-by-field diff.
CREATE TABLE subscription_versions (
    subscription_id  uuid NOT NULL REFERENCES subscriptions (subscription_id) ON DELETE CASCADE,
    version          integer NOT NULL,
    process_id       uuid REFERENCES processes (process_id),
    step_name        text,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL,
    model            jsonb NOT NULL,
    diff             jsonb NOT NULL,
    PRIMARY KEY (subscription_id, version)
);

CREATE INDEX subscription_versions_time_idx ON subscription_versions (created_at);

-- What operators did to a subscription outside processes (a forced unlock), for the audit.
CREATE TABLE subscription_events (
    subscription_id  uuid NOT NULL REFERENCES subscriptions (subscription_id) ON DELETE CASCADE,
    event            text NOT NULL,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL,
    detail           text NOT NULL DEFAULT ''
);
