select id
from {{ ref('aa') }}
