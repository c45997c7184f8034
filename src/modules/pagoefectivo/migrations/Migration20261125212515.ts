import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261125212515 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "pagoefectivo_notification" drop constraint if exists "pagoefectivo_notification_key_unique";`);
    this.addSql(`create table if not exists "pagoefectivo_notification" ("id" text not null, "key" text not null, "event_type" text not null, "operation_number" text null, "cip" text null, "refund_id" text null, "payload" jsonb not null, "status" text check ("status" in ('received', 'processed', 'failed', 'ignored', 'unmatched')) not null default 'received', "error" text null, "deliveries" integer not null default 1, "processed_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "pagoefectivo_notification_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_notification_deleted_at" ON "pagoefectivo_notification" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_pagoefectivo_notification_key_unique" ON "pagoefectivo_notification" ("key") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_notification_status" ON "pagoefectivo_notification" ("status") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_notification_refund_id" ON "pagoefectivo_notification" ("refund_id") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pagoefectivo_notification" cascade;`);
  }

}
