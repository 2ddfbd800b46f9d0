select id,
  nope
from {{ ref('a') }}
