-- Prefect's own database beside ours, on the same server.
CREATE DATABASE prefect OWNER landgrid;
