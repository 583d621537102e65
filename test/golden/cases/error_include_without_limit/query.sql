-- include: listAlerts.exposures :many
SELECT id FROM exposures;
