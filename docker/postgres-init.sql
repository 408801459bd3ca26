-- Run by the postgres image on the first start of an empty volume (docker-entrypoint-initdb.d), as POSTGRES_USER.
-- The api keeps referrals in "navigator" (POSTGRES_DB); the bot keeps its tracker store and SMS state here, so each
-- can be backed up, restored and erased (retention) on its own.
CREATE DATABASE navigator_bot;
