from django.db import migrations, models
import django.utils.timezone


class Migration(migrations.Migration):

    dependencies = [
        ('organisation', '0003_sealed_chain_head'),
    ]

    operations = [
        migrations.CreateModel(
            name='FailedSignIn',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('attempted_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='attempted at')),
                ('username', models.CharField(blank=True, max_length=150, verbose_name='name typed')),
                ('client_address', models.CharField(blank=True, max_length=64, verbose_name='client address')),
                ('reason', models.CharField(choices=[('wrong_password', 'wrong password'), ('unknown_account', 'no such account'), ('inactive_account', 'account deactivated'), ('account_locked', 'refused: account locked'), ('address_backoff', 'refused: address backing off')], max_length=20, verbose_name='reason')),
            ],
            options={
                'verbose_name': 'failed sign-in',
                'verbose_name_plural': 'failed sign-ins',
                'ordering': ['-attempted_at', '-pk'],
                'indexes': [models.Index(fields=['client_address', 'attempted_at'], name='failed_sign_in_address_idx')],
            },
        ),
    ]
