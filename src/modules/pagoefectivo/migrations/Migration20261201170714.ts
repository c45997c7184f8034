import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261201170714 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table if not exists "pagoefectivo_reconcile_run" ("id" text not null, "trigger" text not null, "status" text check ("status" in ('ok', 'failed', 'skipped')) not null, "started_at" timestamptz not null, "finished_at" timestamptz not null, "duration_ms" integer not null, "summary" jsonb null, "summary_line" text null, "error" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "pagoefectivo_reconcile_run_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_reconcile_run_deleted_at" ON "pagoefectivo_reconcile_run" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_reconcile_run_started_at" ON "pagoefectivo_reconcile_run" ("started_at") WHERE deleted_at IS NULL;`);

    this.addSql(`alter table if exists "pagoefectivo_refund" add column if not exists "origin" text check ("origin" in ('medusa', 'outside')) not null default 'medusa';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pagoefectivo_reconcile_run" cascade;`);

    this.addSql(`alter table if exists "pagoefectivo_refund" drop column if exists "origin";`);
  }

}
