-- crmflow demo CRM database in 1CRM's table layout (SugarCRM lineage conventions).
--
-- Written by the crmflow project for demos and tests; it is NOT copied from a CRM.
-- Only the columns a workflow engine plausibly reads or writes are kept. Conventions
-- of the lineage that the engine relies on:
--   * `id` char(36) UUID-like primary keys (here fixed, readable ids such as
--     'acc00001-0000-4000-8000-000000000000'; the admin user keeps the lineage's id '1');
--   * `date_entered` / `date_modified` are UTC datetimes;
--   * records are soft-deleted (`deleted` = 1), never removed;
--   * activities point at their record with `parent_type` (the MODULE name, e.g.
--     'Leads', 'Accounts') and `parent_id`;
--   * no foreign keys, as in the CRM itself.
--
-- Load into a fresh (or existing) database; every table is dropped first so reloading
-- is idempotent:   scripts/mariadb.sh sql crm < config/demo/1crm-demo.sql
-- Portable SQL: loads into MariaDB 10.11 and MySQL 8.

SET NAMES utf8mb4;

DROP TABLE IF EXISTS `users`;
DROP TABLE IF EXISTS `accounts`;
DROP TABLE IF EXISTS `contacts`;
DROP TABLE IF EXISTS `accounts_contacts`;
DROP TABLE IF EXISTS `leads`;
DROP TABLE IF EXISTS `tasks`;
DROP TABLE IF EXISTS `calls`;
DROP TABLE IF EXISTS `meetings`;
DROP TABLE IF EXISTS `meetings_users`;
DROP TABLE IF EXISTS `meetings_contacts`;
DROP TABLE IF EXISTS `notes`;
DROP TABLE IF EXISTS `emails`;
DROP TABLE IF EXISTS `opportunities`;
DROP TABLE IF EXISTS `project`;
DROP TABLE IF EXISTS `cases`;
DROP TABLE IF EXISTS `quotes`;
DROP TABLE IF EXISTS `invoice`;
DROP TABLE IF EXISTS `service_subcontracts`;
DROP TABLE IF EXISTS `notifications`;

-- ---------------------------------------------------------------------------
-- Schema
-- ---------------------------------------------------------------------------

CREATE TABLE `users` (
  `id` char(36) NOT NULL,
  `user_name` varchar(60) DEFAULT NULL,
  `first_name` varchar(100) DEFAULT NULL,
  `last_name` varchar(100) DEFAULT NULL,
  `email1` varchar(100) DEFAULT NULL,
  `title` varchar(50) DEFAULT NULL,
  `is_admin` tinyint(1) NOT NULL DEFAULT 0,
  `status` varchar(25) DEFAULT 'Active',
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `idx_users_user_name` (`user_name`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `accounts` (
  `id` char(36) NOT NULL,
  `name` varchar(150) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `account_type` varchar(50) DEFAULT NULL,
  `industry` varchar(50) DEFAULT NULL,
  `phone_office` varchar(100) DEFAULT NULL,
  `email1` varchar(100) DEFAULT NULL,
  `website` varchar(255) DEFAULT NULL,
  `billing_address_street` varchar(150) DEFAULT NULL,
  `billing_address_city` varchar(100) DEFAULT NULL,
  `billing_address_state` varchar(100) DEFAULT NULL,
  `billing_address_postalcode` varchar(20) DEFAULT NULL,
  `billing_address_country` varchar(100) DEFAULT NULL,
  `vat_id` varchar(50) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_accounts_name_del` (`name`, `deleted`),
  KEY `idx_accounts_assigned_del` (`assigned_user_id`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- `primary_account_id` is the contact's primary account (may be NULL). All account links,
-- the primary one included, are rows in `accounts_contacts`.
CREATE TABLE `contacts` (
  `id` char(36) NOT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `salutation` varchar(40) DEFAULT NULL,
  `first_name` varchar(100) DEFAULT NULL,
  `last_name` varchar(100) DEFAULT NULL,
  `title` varchar(100) DEFAULT NULL,
  `email1` varchar(100) DEFAULT NULL,
  `phone_work` varchar(100) DEFAULT NULL,
  `phone_mobile` varchar(100) DEFAULT NULL,
  `primary_account_id` char(36) DEFAULT NULL,
  `primary_address_street` varchar(150) DEFAULT NULL,
  `primary_address_city` varchar(100) DEFAULT NULL,
  `primary_address_state` varchar(100) DEFAULT NULL,
  `primary_address_postalcode` varchar(20) DEFAULT NULL,
  `primary_address_country` varchar(100) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_contacts_last_first` (`last_name`, `first_name`, `deleted`),
  KEY `idx_contacts_primary_account` (`primary_account_id`, `deleted`),
  KEY `idx_contacts_assigned_del` (`assigned_user_id`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `accounts_contacts` (
  `id` char(36) NOT NULL,
  `account_id` char(36) DEFAULT NULL,
  `contact_id` char(36) DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `idx_acc_con_account` (`account_id`, `contact_id`, `deleted`),
  KEY `idx_acc_con_contact` (`contact_id`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `leads` (
  `id` char(36) NOT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `salutation` varchar(40) DEFAULT NULL,
  `first_name` varchar(100) DEFAULT NULL,
  `last_name` varchar(100) DEFAULT NULL,
  `title` varchar(100) DEFAULT NULL,
  `account_name` varchar(150) DEFAULT NULL,
  `email1` varchar(100) DEFAULT NULL,
  `phone_work` varchar(100) DEFAULT NULL,
  `primary_address_city` varchar(100) DEFAULT NULL,
  `primary_address_country` varchar(100) DEFAULT NULL,
  `status` varchar(100) DEFAULT 'New',
  `lead_source` varchar(100) DEFAULT NULL,
  `converted` tinyint(1) NOT NULL DEFAULT 0,
  `account_id` char(36) DEFAULT NULL,
  `contact_id` char(36) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_leads_status_del` (`status`, `deleted`),
  KEY `idx_leads_last_first` (`last_name`, `first_name`, `deleted`),
  KEY `idx_leads_assigned_del` (`assigned_user_id`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `tasks` (
  `id` char(36) NOT NULL,
  `name` varchar(50) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `status` varchar(100) DEFAULT 'Not Started',
  `priority` varchar(100) DEFAULT 'Medium',
  `date_start` datetime DEFAULT NULL,
  `date_due` datetime DEFAULT NULL,
  `parent_type` varchar(100) DEFAULT NULL,
  `parent_id` char(36) DEFAULT NULL,
  `contact_id` char(36) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_tasks_parent` (`parent_id`, `parent_type`, `deleted`),
  KEY `idx_tasks_assigned_status` (`assigned_user_id`, `status`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- duration_minutes is the whole length in minutes (there is no separate hours column).
CREATE TABLE `calls` (
  `id` char(36) NOT NULL,
  `name` varchar(50) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `direction` varchar(25) DEFAULT 'Outbound',
  `status` varchar(25) DEFAULT 'Planned',
  `date_start` datetime DEFAULT NULL,
  `duration_minutes` int NOT NULL DEFAULT 15,
  `parent_type` varchar(100) DEFAULT NULL,
  `parent_id` char(36) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_calls_parent` (`parent_id`, `parent_type`, `deleted`),
  KEY `idx_calls_date_start` (`date_start`),
  KEY `idx_calls_assigned_status` (`assigned_user_id`, `status`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `meetings` (
  `id` char(36) NOT NULL,
  `name` varchar(50) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `location` varchar(50) DEFAULT NULL,
  `status` varchar(25) DEFAULT 'Planned',
  `date_start` datetime DEFAULT NULL,
  `duration_minutes` int NOT NULL DEFAULT 60,
  `parent_type` varchar(100) DEFAULT NULL,
  `parent_id` char(36) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_meetings_parent` (`parent_id`, `parent_type`, `deleted`),
  KEY `idx_meetings_date_start` (`date_start`),
  KEY `idx_meetings_assigned_status` (`assigned_user_id`, `status`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Invited users: keyed by the pair, no id column (as in 1CRM).
CREATE TABLE `meetings_users` (
  `meeting_id` char(36) NOT NULL,
  `user_id` char(36) NOT NULL,
  `accept_status` varchar(25) DEFAULT 'none',
  `date_modified` datetime DEFAULT NULL,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`meeting_id`, `user_id`),
  KEY `idx_meetings_users_user` (`user_id`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Invited contacts: this join table does carry an id.
CREATE TABLE `meetings_contacts` (
  `id` char(36) NOT NULL,
  `meeting_id` char(36) DEFAULT NULL,
  `contact_id` char(36) DEFAULT NULL,
  `accept_status` varchar(25) DEFAULT 'none',
  `date_modified` datetime DEFAULT NULL,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `idx_meetings_contacts_meeting` (`meeting_id`, `contact_id`),
  KEY `idx_meetings_contacts_contact` (`contact_id`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `notes` (
  `id` char(36) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `filename` varchar(255) DEFAULT NULL,
  `file_mime_type` varchar(100) DEFAULT NULL,
  `parent_type` varchar(100) DEFAULT NULL,
  `parent_id` char(36) DEFAULT NULL,
  `contact_id` char(36) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_notes_parent` (`parent_id`, `parent_type`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- `name` is the subject, `description` the plain-text body.
CREATE TABLE `emails` (
  `id` char(36) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `date_sent` datetime DEFAULT NULL,
  `type` varchar(25) DEFAULT NULL,
  `status` varchar(25) DEFAULT NULL,
  `from_addr` varchar(255) DEFAULT NULL,
  `to_addrs` text,
  `message_id` varchar(255) DEFAULT NULL,
  `parent_type` varchar(100) DEFAULT NULL,
  `parent_id` char(36) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_emails_parent` (`parent_id`, `parent_type`, `deleted`),
  KEY `idx_emails_message_id` (`message_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `opportunities` (
  `id` char(36) NOT NULL,
  `name` varchar(50) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `account_id` char(36) DEFAULT NULL,
  `amount` decimal(26,6) DEFAULT NULL,
  `currency_id` char(36) DEFAULT '-99',
  `sales_stage` varchar(100) DEFAULT 'Prospecting',
  `probability` int DEFAULT NULL,
  `date_closed` date DEFAULT NULL,
  `lead_source` varchar(100) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_opportunities_account` (`account_id`, `deleted`),
  KEY `idx_opportunities_stage` (`sales_stage`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `project` (
  `id` char(36) NOT NULL,
  `name` varchar(50) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `account_id` char(36) DEFAULT NULL,
  `date_start` date DEFAULT NULL,
  `date_finish` date DEFAULT NULL,
  `status` varchar(100) DEFAULT 'Draft',
  PRIMARY KEY (`id`),
  KEY `idx_project_account` (`account_id`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- case_number is handed out by the database, not by the application. external_ticket_id is
-- a custom field an admin added for the id the ticket system gives a case (written back by
-- config/workflows/case-to-ticket-system.json).
CREATE TABLE `cases` (
  `id` char(36) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `case_number` int NOT NULL AUTO_INCREMENT,
  `type` varchar(100) DEFAULT NULL,
  `status` varchar(100) DEFAULT 'Active - New',
  `priority` varchar(100) DEFAULT 'P2',
  `resolution` text,
  `account_id` char(36) DEFAULT NULL,
  `contact_id` char(36) DEFAULT NULL,
  `external_ticket_id` varchar(50) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_cases_number` (`case_number`),
  KEY `idx_cases_account` (`account_id`, `deleted`),
  KEY `idx_cases_assigned_status` (`assigned_user_id`, `status`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `quotes` (
  `id` char(36) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `quote_number` int NOT NULL,
  `stage` varchar(40) DEFAULT 'Draft',
  `amount` decimal(26,6) DEFAULT NULL,
  `currency_id` char(36) DEFAULT '-99',
  `valid_until` date DEFAULT NULL,
  `opportunity_id` char(36) DEFAULT NULL,
  `billing_account_id` char(36) DEFAULT NULL,
  `billing_contact_id` char(36) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_quotes_number` (`quote_number`),
  KEY `idx_quotes_account` (`billing_account_id`, `deleted`),
  KEY `idx_quotes_stage` (`stage`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- The billing address and VAT id are copied onto the invoice when it is issued.
CREATE TABLE `invoice` (
  `id` char(36) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `invoice_number` int NOT NULL,
  `invoice_date` date DEFAULT NULL,
  `due_date` date DEFAULT NULL,
  `amount` decimal(26,6) DEFAULT NULL,
  `amount_due` decimal(26,6) DEFAULT NULL,
  `currency_id` char(36) DEFAULT '-99',
  `from_quote_id` char(36) DEFAULT NULL,
  `billing_account_id` char(36) DEFAULT NULL,
  `billing_contact_id` char(36) DEFAULT NULL,
  `billing_address_street` varchar(150) DEFAULT NULL,
  `billing_address_city` varchar(100) DEFAULT NULL,
  `billing_address_postalcode` varchar(20) DEFAULT NULL,
  `billing_address_country` varchar(100) DEFAULT NULL,
  `vat_id` varchar(50) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_invoice_number` (`invoice_number`),
  KEY `idx_invoice_account` (`billing_account_id`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- A single service contract under a main contract ("Service Einzelvertrag" in 1CRM's
-- German UI). The main contracts and contract types it points at are not part of
-- this demo; only their ids are kept.
CREATE TABLE `service_subcontracts` (
  `id` char(36) NOT NULL,
  `name` varchar(255) DEFAULT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `modified_user_id` char(36) DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `description` text,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  `main_contract_id` char(36) DEFAULT NULL,
  `account_id` char(36) DEFAULT NULL,
  `customer_contact_id` char(36) DEFAULT NULL,
  `contract_type_id` char(36) DEFAULT NULL,
  `date_start` date DEFAULT NULL,
  `date_expire` date DEFAULT NULL,
  `status` varchar(40) DEFAULT 'Active',
  PRIMARY KEY (`id`),
  KEY `idx_subcontracts_main` (`main_contract_id`, `deleted`),
  KEY `idx_subcontracts_account` (`account_id`, `deleted`),
  KEY `idx_subcontracts_expire` (`status`, `date_expire`, `deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- In-app notifications shown to a user; related_type is a module name like parent_type.
CREATE TABLE `notifications` (
  `id` char(36) NOT NULL,
  `date_entered` datetime DEFAULT NULL,
  `date_modified` datetime DEFAULT NULL,
  `created_by` char(36) DEFAULT NULL,
  `assigned_user_id` char(36) DEFAULT NULL,
  `related_type` varchar(100) DEFAULT NULL,
  `related_id` char(36) DEFAULT NULL,
  `subject` varchar(255) DEFAULT NULL,
  `description` text,
  `is_read` tinyint(1) NOT NULL DEFAULT 0,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `idx_notifications_user_unread` (`assigned_user_id`, `is_read`, `deleted`),
  KEY `idx_notifications_related` (`related_id`, `related_type`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- ---------------------------------------------------------------------------
-- Sample data (all times UTC)
-- ---------------------------------------------------------------------------

INSERT INTO `users` (`id`, `user_name`, `first_name`, `last_name`, `email1`, `title`, `is_admin`, `status`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`) VALUES
('1', 'admin', NULL, 'Administrator', 'admin@demo.example', 'Administrator', 1, 'Active', '2024-01-02 08:00:00', '2024-01-02 08:00:00', '1', '1'),
('usr00002-0000-4000-8000-000000000000', 'mhuber', 'Maria', 'Huber', 'maria.huber@demo.example', 'Sales Manager', 0, 'Active', '2024-01-03 09:00:00', '2024-06-10 12:30:00', '1', '1'),
('usr00003-0000-4000-8000-000000000000', 'tweber', 'Thomas', 'Weber', 'thomas.weber@demo.example', 'Support Engineer', 0, 'Active', '2024-01-03 09:05:00', '2024-01-03 09:05:00', '1', '1');

-- Three Austrian/German customers with VAT ids, one French customer without one, and an
-- Austrian small business (no VAT id: below the turnover threshold).
INSERT INTO `accounts` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `account_type`, `industry`, `phone_office`, `email1`, `website`, `billing_address_street`, `billing_address_city`, `billing_address_postalcode`, `billing_address_country`, `vat_id`) VALUES
('acc00001-0000-4000-8000-000000000000', 'Alpenblick Software GmbH', '2024-02-01 10:00:00', '2025-03-04 14:20:00', 'usr00002-0000-4000-8000-000000000000', '1', 'usr00002-0000-4000-8000-000000000000', 'Customer', 'Technology', '+43 1 2345670', 'office@alpenblick.example', 'https://alpenblick.example', 'Mariahilfer Straße 101', 'Wien', '1060', 'Austria', 'ATU12345678'),
('acc00002-0000-4000-8000-000000000000', 'Brennerhof Handels GmbH', '2024-02-15 11:30:00', '2024-11-20 09:00:00', 'usr00002-0000-4000-8000-000000000000', '1', 'usr00002-0000-4000-8000-000000000000', 'Customer', 'Retail', '+43 512 987650', 'einkauf@brennerhof.example', 'https://brennerhof.example', 'Maria-Theresien-Straße 18', 'Innsbruck', '6020', 'Austria', 'ATU87654321'),
('acc00003-0000-4000-8000-000000000000', 'Rheinwerk Maschinenbau AG', '2024-03-05 08:45:00', '2025-01-10 16:00:00', '1', '1', 'usr00002-0000-4000-8000-000000000000', 'Customer', 'Manufacturing', '+49 221 5550100', 'info@rheinwerk.example', 'https://rheinwerk.example', 'Deutzer Freiheit 42', 'Köln', '50679', 'Germany', 'DE123456789'),
('acc00004-0000-4000-8000-000000000000', 'Atelier Lumière SARL', '2024-05-20 13:00:00', '2025-02-01 10:15:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'Customer', 'Media', '+33 4 72 00 11 22', 'contact@atelier-lumiere.example', 'https://atelier-lumiere.example', '12 Rue de la République', 'Lyon', '69002', 'France', NULL),
('acc00005-0000-4000-8000-000000000000', 'Steiner Consulting e.U.', '2025-03-05 09:00:00', '2025-03-05 09:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'Customer', 'Consulting', '+43 316 480 20', 'eva@steiner-consulting.example', NULL, 'Herrengasse 7', 'Graz', '8010', 'Austria', NULL);

-- Exactly one contact per account has that account as its primary account. Julia
-- Berger is an external consultant: no primary account, linked to two accounts.
INSERT INTO `contacts` (`id`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `salutation`, `first_name`, `last_name`, `title`, `email1`, `phone_work`, `phone_mobile`, `primary_account_id`) VALUES
('con00001-0000-4000-8000-000000000000', '2024-02-01 10:05:00', '2024-02-01 10:05:00', '1', '1', 'usr00002-0000-4000-8000-000000000000', 'Mr.', 'Lukas', 'Gruber', 'CEO', 'lukas.gruber@alpenblick.example', '+43 1 2345671', '+43 664 1234567', 'acc00001-0000-4000-8000-000000000000'),
('con00002-0000-4000-8000-000000000000', '2024-02-01 10:07:00', '2024-09-12 08:00:00', 'usr00002-0000-4000-8000-000000000000', '1', 'usr00002-0000-4000-8000-000000000000', 'Ms.', 'Julia', 'Berger', 'Purchasing Consultant', 'julia@berger-beratung.example', NULL, '+43 676 2345672', NULL),
('con00003-0000-4000-8000-000000000000', '2024-02-15 11:35:00', '2024-02-15 11:35:00', '1', '1', 'usr00002-0000-4000-8000-000000000000', 'Mr.', 'Andreas', 'Hofer', 'Managing Director', 'andreas.hofer@brennerhof.example', '+43 512 987651', NULL, 'acc00002-0000-4000-8000-000000000000'),
('con00004-0000-4000-8000-000000000000', '2024-03-05 08:50:00', '2025-01-10 16:00:00', '1', '1', 'usr00003-0000-4000-8000-000000000000', 'Ms.', 'Sabine', 'Schäfer', 'IT Manager', 'sabine.schaefer@rheinwerk.example', '+49 221 5550123', '+49 171 5550123', 'acc00003-0000-4000-8000-000000000000'),
('con00005-0000-4000-8000-000000000000', '2024-05-20 13:05:00', '2024-05-20 13:05:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'Ms.', 'Camille', 'Dubois', 'Gérante', 'camille.dubois@atelier-lumiere.example', '+33 4 72 00 11 23', NULL, 'acc00004-0000-4000-8000-000000000000');

-- The contacts' own (postal) addresses; a primary contact's is usually the account's
-- billing address. Julia Berger, the external consultant, has her office's.
UPDATE `contacts` SET `primary_address_street` = 'Mariahilfer Straße 101', `primary_address_city` = 'Wien', `primary_address_postalcode` = '1060', `primary_address_country` = 'Austria' WHERE `id` = 'con00001-0000-4000-8000-000000000000';
UPDATE `contacts` SET `primary_address_street` = 'Landstraßer Hauptstraße 5', `primary_address_city` = 'Wien', `primary_address_postalcode` = '1030', `primary_address_country` = 'Austria' WHERE `id` = 'con00002-0000-4000-8000-000000000000';
UPDATE `contacts` SET `primary_address_street` = 'Maria-Theresien-Straße 18', `primary_address_city` = 'Innsbruck', `primary_address_postalcode` = '6020', `primary_address_country` = 'Austria' WHERE `id` = 'con00003-0000-4000-8000-000000000000';

INSERT INTO `accounts_contacts` (`id`, `account_id`, `contact_id`, `date_modified`) VALUES
('acx00001-0000-4000-8000-000000000000', 'acc00001-0000-4000-8000-000000000000', 'con00001-0000-4000-8000-000000000000', '2024-02-01 10:05:00'),
('acx00002-0000-4000-8000-000000000000', 'acc00001-0000-4000-8000-000000000000', 'con00002-0000-4000-8000-000000000000', '2024-02-01 10:07:00'),
('acx00003-0000-4000-8000-000000000000', 'acc00002-0000-4000-8000-000000000000', 'con00003-0000-4000-8000-000000000000', '2024-02-15 11:35:00'),
('acx00004-0000-4000-8000-000000000000', 'acc00002-0000-4000-8000-000000000000', 'con00002-0000-4000-8000-000000000000', '2024-09-12 08:00:00'),
('acx00005-0000-4000-8000-000000000000', 'acc00003-0000-4000-8000-000000000000', 'con00004-0000-4000-8000-000000000000', '2024-03-05 08:50:00'),
('acx00006-0000-4000-8000-000000000000', 'acc00004-0000-4000-8000-000000000000', 'con00005-0000-4000-8000-000000000000', '2024-05-20 13:05:00');

INSERT INTO `leads` (`id`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `salutation`, `first_name`, `last_name`, `title`, `account_name`, `email1`, `phone_work`, `primary_address_city`, `primary_address_country`, `status`, `lead_source`) VALUES
('led00001-0000-4000-8000-000000000000', '2025-03-01 07:12:00', '2025-03-01 07:12:00', '1', '1', NULL, 'Web form: asks for a demo of the ticketing add-on.', 'Mr.', 'Florian', 'Wagner', 'Office Manager', 'Wagner Bau GmbH', 'f.wagner@wagner-bau.example', '+43 732 445566', 'Linz', 'Austria', 'New', 'Web Site'),
('led00002-0000-4000-8000-000000000000', '2025-02-20 15:40:00', '2025-02-21 08:05:00', 'usr00002-0000-4000-8000-000000000000', '1', 'usr00002-0000-4000-8000-000000000000', NULL, 'Ms.', 'Katrin', 'Neumann', 'CFO', 'Neumann Logistik GmbH', 'k.neumann@neumann-logistik.example', '+49 89 1234560', 'München', 'Germany', 'Assigned', 'Trade Show'),
('led00003-0000-4000-8000-000000000000', '2025-01-28 09:00:00', '2025-02-25 11:45:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'Second call planned; budget approved for Q2.', 'Mr.', 'Pierre', 'Martin', 'Directeur technique', 'Martin & Fils SAS', 'p.martin@martin-fils.example', '+33 1 44 55 66 77', 'Paris', 'France', 'In Process', 'Email'),
('led00004-0000-4000-8000-000000000000', '2025-03-02 18:30:00', '2025-03-02 18:30:00', '1', '1', NULL, NULL, 'Ms.', 'Eva', 'Steiner', NULL, 'Steiner Consulting e.U.', 'eva@steiner-consulting.example', NULL, 'Graz', 'Austria', 'New', 'Web Site');

INSERT INTO `tasks` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `status`, `priority`, `date_start`, `date_due`, `parent_type`, `parent_id`, `contact_id`) VALUES
('tsk00001-0000-4000-8000-000000000000', 'Qualify lead Katrin Neumann', '2025-02-21 08:05:00', '2025-02-21 08:05:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 'Not Started', 'High', '2025-02-21 08:00:00', '2025-02-24 16:00:00', 'Leads', 'led00002-0000-4000-8000-000000000000', NULL),
('tsk00002-0000-4000-8000-000000000000', 'Send offer draft to Martin & Fils', '2025-02-25 11:45:00', '2025-02-26 10:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'Include the 3-year support option.', 'In Progress', 'Medium', '2025-02-25 12:00:00', '2025-03-07 16:00:00', 'Leads', 'led00003-0000-4000-8000-000000000000', NULL),
('tsk00003-0000-4000-8000-000000000000', 'Check renewal of Rheinwerk contract', '2025-01-10 16:00:00', '2025-01-10 16:00:00', '1', '1', 'usr00003-0000-4000-8000-000000000000', NULL, 'Completed', 'Low', '2025-01-10 16:00:00', '2025-01-31 16:00:00', 'Accounts', 'acc00003-0000-4000-8000-000000000000', 'con00004-0000-4000-8000-000000000000');

INSERT INTO `calls` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `direction`, `status`, `date_start`, `duration_minutes`, `parent_type`, `parent_id`) VALUES
('cal00001-0000-4000-8000-000000000000', 'First call Pierre Martin', '2025-01-28 09:10:00', '2025-01-30 10:30:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'Interested, wants a written offer.', 'Outbound', 'Held', '2025-01-30 10:00:00', 30, 'Leads', 'led00003-0000-4000-8000-000000000000'),
('cal00002-0000-4000-8000-000000000000', 'Follow-up call Pierre Martin', '2025-02-25 11:45:00', '2025-02-25 11:45:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 'Outbound', 'Planned', '2025-03-10 09:00:00', 15, 'Leads', 'led00003-0000-4000-8000-000000000000');

INSERT INTO `meetings` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `location`, `status`, `date_start`, `duration_minutes`, `parent_type`, `parent_id`) VALUES
('mtg00001-0000-4000-8000-000000000000', 'Kick-off Rheinwerk portal project', '2025-02-10 09:00:00', '2025-02-10 09:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 'Köln, Rheinwerk HQ', 'Planned', '2025-03-12 08:00:00', 90, 'Accounts', 'acc00003-0000-4000-8000-000000000000');

INSERT INTO `meetings_users` (`meeting_id`, `user_id`, `accept_status`, `date_modified`) VALUES
('mtg00001-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'accept', '2025-02-10 09:00:00'),
('mtg00001-0000-4000-8000-000000000000', 'usr00003-0000-4000-8000-000000000000', 'none', '2025-02-10 09:00:00');

INSERT INTO `meetings_contacts` (`id`, `meeting_id`, `contact_id`, `accept_status`, `date_modified`) VALUES
('mtc00001-0000-4000-8000-000000000000', 'mtg00001-0000-4000-8000-000000000000', 'con00004-0000-4000-8000-000000000000', 'tentative', '2025-02-11 07:30:00');

INSERT INTO `notes` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `parent_type`, `parent_id`, `contact_id`) VALUES
('not00001-0000-4000-8000-000000000000', 'Budget and timeline', '2025-01-30 10:35:00', '2025-01-30 10:35:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'About 40k EUR, decision in April.', 'Leads', 'led00003-0000-4000-8000-000000000000', NULL);

INSERT INTO `emails` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `date_sent`, `type`, `status`, `from_addr`, `to_addrs`, `message_id`, `parent_type`, `parent_id`) VALUES
('eml00001-0000-4000-8000-000000000000', 'Your demo request', '2025-03-01 07:20:00', '2025-03-01 07:20:00', '1', '1', NULL, 'Dear Mr. Wagner,\nthank you for your interest. We will contact you shortly.', '2025-03-01 07:20:00', 'out', 'sent', 'sales@demo.example', 'f.wagner@wagner-bau.example', '<eml00001@demo.example>', 'Leads', 'led00001-0000-4000-8000-000000000000');

INSERT INTO `opportunities` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `account_id`, `amount`, `sales_stage`, `probability`, `date_closed`, `lead_source`) VALUES
('opp00001-0000-4000-8000-000000000000', 'Alpenblick - CRM licences 2025', '2025-01-15 10:00:00', '2025-02-28 15:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 'acc00001-0000-4000-8000-000000000000', 24000.000000, 'Proposal/Price Quote', 65, '2025-04-30', 'Existing Customer'),
('opp00002-0000-4000-8000-000000000000', 'Rheinwerk - customer portal', '2024-11-04 09:00:00', '2025-01-10 16:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 'acc00003-0000-4000-8000-000000000000', 58500.000000, 'Closed Won', 100, '2025-01-10', 'Partner');

INSERT INTO `project` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `account_id`, `date_start`, `date_finish`, `status`) VALUES
('prj00001-0000-4000-8000-000000000000', 'Rheinwerk customer portal', '2025-01-10 16:05:00', '2025-01-10 16:05:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00003-0000-4000-8000-000000000000', NULL, 'acc00003-0000-4000-8000-000000000000', '2025-03-01', '2025-06-30', 'Active');

-- case_number comes from AUTO_INCREMENT (1, 2).
INSERT INTO `cases` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `type`, `status`, `priority`, `account_id`, `contact_id`) VALUES
('cas00001-0000-4000-8000-000000000000', 'Login fails after password reset', '2025-02-27 07:55:00', '2025-02-27 08:10:00', 'usr00003-0000-4000-8000-000000000000', '1', 'usr00003-0000-4000-8000-000000000000', 'Users cannot log in since this morning.', 'User', 'Active - Assigned', 'P1', 'acc00001-0000-4000-8000-000000000000', 'con00002-0000-4000-8000-000000000000'),
('cas00002-0000-4000-8000-000000000000', 'Invoice PDF shows wrong address', '2025-02-03 13:20:00', '2025-02-05 09:00:00', 'usr00003-0000-4000-8000-000000000000', '1', 'usr00003-0000-4000-8000-000000000000', NULL, 'Administration', 'Closed - Resolved', 'P3', 'acc00004-0000-4000-8000-000000000000', 'con00005-0000-4000-8000-000000000000');

INSERT INTO `quotes` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `quote_number`, `stage`, `amount`, `valid_until`, `opportunity_id`, `billing_account_id`, `billing_contact_id`) VALUES
('quo00001-0000-4000-8000-000000000000', 'CRM licences 2025', '2025-02-28 15:00:00', '2025-02-28 15:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 1001, 'Draft', 24000.000000, '2025-03-31', 'opp00001-0000-4000-8000-000000000000', 'acc00001-0000-4000-8000-000000000000', 'con00002-0000-4000-8000-000000000000'),
('quo00002-0000-4000-8000-000000000000', 'Customer portal implementation', '2024-12-02 10:00:00', '2025-01-10 16:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 1000, 'Closed Accepted', 58500.000000, '2025-01-31', 'opp00002-0000-4000-8000-000000000000', 'acc00003-0000-4000-8000-000000000000', 'con00004-0000-4000-8000-000000000000');

-- The second invoice goes to an EU customer (France) that has no VAT id.
INSERT INTO `invoice` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `invoice_number`, `invoice_date`, `due_date`, `amount`, `amount_due`, `from_quote_id`, `billing_account_id`, `billing_contact_id`, `billing_address_street`, `billing_address_city`, `billing_address_postalcode`, `billing_address_country`, `vat_id`) VALUES
('inv00001-0000-4000-8000-000000000000', 'Customer portal - first instalment', '2025-01-15 09:00:00', '2025-01-15 09:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 2025001, '2025-01-15', '2025-02-14', 29250.000000, 0.000000, 'quo00002-0000-4000-8000-000000000000', 'acc00003-0000-4000-8000-000000000000', 'con00004-0000-4000-8000-000000000000', 'Deutzer Freiheit 42', 'Köln', '50679', 'Germany', 'DE123456789'),
('inv00002-0000-4000-8000-000000000000', 'Support hours February', '2025-03-03 08:00:00', '2025-03-03 08:00:00', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', 'usr00002-0000-4000-8000-000000000000', NULL, 2025002, '2025-03-03', '2025-04-02', 1260.000000, 1260.000000, NULL, 'acc00004-0000-4000-8000-000000000000', 'con00005-0000-4000-8000-000000000000', '12 Rue de la République', 'Lyon', '69002', 'France', NULL);

INSERT INTO `service_subcontracts` (`id`, `name`, `date_entered`, `date_modified`, `modified_user_id`, `created_by`, `assigned_user_id`, `description`, `main_contract_id`, `account_id`, `customer_contact_id`, `contract_type_id`, `date_start`, `date_expire`, `status`) VALUES
('ssc00001-0000-4000-8000-000000000000', 'Alpenblick - Premium Support', '2024-03-01 09:00:00', '2025-02-28 09:00:00', 'usr00003-0000-4000-8000-000000000000', '1', 'usr00003-0000-4000-8000-000000000000', NULL, 'smc00001-0000-4000-8000-000000000000', 'acc00001-0000-4000-8000-000000000000', 'con00001-0000-4000-8000-000000000000', 'sct00001-0000-4000-8000-000000000000', '2024-04-01', '2025-03-31', 'Active'),
('ssc00002-0000-4000-8000-000000000000', 'Brennerhof - Basic Support', '2023-01-10 09:00:00', '2024-01-02 06:00:00', '1', '1', 'usr00003-0000-4000-8000-000000000000', 'Not renewed by the customer.', 'smc00002-0000-4000-8000-000000000000', 'acc00002-0000-4000-8000-000000000000', 'con00003-0000-4000-8000-000000000000', 'sct00002-0000-4000-8000-000000000000', '2023-01-01', '2023-12-31', 'Inactive');

INSERT INTO `notifications` (`id`, `date_entered`, `date_modified`, `created_by`, `assigned_user_id`, `related_type`, `related_id`, `subject`, `description`, `is_read`) VALUES
('ntf00001-0000-4000-8000-000000000000', '2025-02-21 08:05:00', '2025-02-21 08:05:00', '1', 'usr00002-0000-4000-8000-000000000000', 'Leads', 'led00002-0000-4000-8000-000000000000', 'Lead assigned to you: Katrin Neumann', NULL, 1),
('ntf00002-0000-4000-8000-000000000000', '2025-02-27 08:10:00', '2025-02-27 08:10:00', '1', 'usr00003-0000-4000-8000-000000000000', 'Cases', 'cas00001-0000-4000-8000-000000000000', 'New P1 case: Login fails after password reset', 'Account: Alpenblick Software GmbH', 0);
