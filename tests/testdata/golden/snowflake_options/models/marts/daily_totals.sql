{{ config(cluster_by='day', row_access_policy='governance.policies.region_rap', row_access_policy_columns=['region']) }}
select cast('2024-01-01' as date) as day, 'eu' as region, 10 as total
